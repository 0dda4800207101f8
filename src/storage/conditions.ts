/**
 * Query conditions the same for every database: drizzle's operators build the same SQL on
 * SQLite and PostgreSQL, so each store passes its own dialect's columns.
 */
import { and, eq, gte, like, lt, or, sql, type Column, type SQL, type Table } from 'drizzle-orm';
import { containsPattern } from './rows.js';
import type { EventQuery } from './store.js';

/** The filters of an audit-trail read (the event columns of either dialect). */
export function eventConditions(query: EventQuery, events: { actorId: Column; clientId: Column; by: Column; type: Column; at: Column; id: Column }): SQL | undefined {
  const where: Array<SQL | undefined> = [];
  if (query.actorId !== undefined) where.push(or(eq(events.actorId, query.actorId), eq(events.by, `actor:${query.actorId}`)));
  if (query.clientId !== undefined) where.push(or(eq(events.clientId, query.clientId), eq(events.by, `client:${query.clientId}`)));
  if (query.type !== undefined) where.push(query.type.endsWith('.*') ? like(events.type, `${query.type.slice(0, -2).replace(/[\\%_]/g, '')}.%`) : eq(events.type, query.type));
  if (query.since !== undefined) where.push(gte(events.at, query.since));
  if (query.before !== undefined) where.push(lt(events.id, query.before));
  return and(...where);
}

/** Actors whose nickname, name or an email address contains `text` as typed (LIKE's wildcards escaped). */
export function actorSearch(text: string | undefined, actors: { id: Column; nickname: Column; name: Column }, emails: Table & { actorId: Column; address: Column }): SQL | undefined {
  if (!text) return undefined;
  const pattern = containsPattern(text);
  return or(
    sql`${actors.nickname} like ${pattern} escape '\\'`,
    sql`lower(${actors.name}) like ${pattern} escape '\\'`,
    sql`exists (select 1 from ${emails} where ${emails.actorId} = ${actors.id} and ${emails.address} like ${pattern} escape '\\')`,
  );
}
