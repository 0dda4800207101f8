/** The audit trail in SQLite: appended by the writer thread, read newest first. */
import { and, desc, eq, gte, like, lt, or, type SQL } from 'drizzle-orm';
import type { AuditEvent, NewEvent } from '../../model.js';
import type { EventQuery, EventStore } from '../store.js';
import type { Database } from './db.js';
import { events } from './schema.js';

export class SqliteEvents implements EventStore {
  constructor(private readonly db: Database) {}

  async append(event: NewEvent): Promise<void> {
    await this.db.durable.run('appendEvent', event);
  }

  async list(query: EventQuery): Promise<AuditEvent[]> {
    // Events are appended without waiting: what was queued before this read is seen by it.
    await this.db.durable.run('barrier', undefined);
    const where: Array<SQL | undefined> = [];
    if (query.actorId !== undefined) where.push(or(eq(events.actorId, query.actorId), eq(events.by, `actor:${query.actorId}`)));
    if (query.clientId !== undefined) where.push(or(eq(events.clientId, query.clientId), eq(events.by, `client:${query.clientId}`)));
    if (query.type !== undefined) where.push(query.type.endsWith('.*') ? like(events.type, `${query.type.slice(0, -2).replace(/[\\%_]/g, '')}.%`) : eq(events.type, query.type));
    if (query.since !== undefined) where.push(gte(events.at, query.since));
    if (query.before !== undefined) where.push(lt(events.id, query.before));
    return this.db.orm
      .select()
      .from(events)
      .where(and(...where))
      .orderBy(desc(events.id))
      .limit(query.limit)
      .all();
  }
}
