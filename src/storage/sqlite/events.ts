/** The audit trail in SQLite: appended with the next commit (durable.ts), read newest first. */
import { desc } from 'drizzle-orm';
import type { AuditEvent, NewEvent } from '../../model.js';
import { eventConditions } from '../conditions.js';
import type { EventQuery, EventStore } from '../store.js';
import type { Database } from './db.js';
import { events } from './schema.js';

export class SqliteEvents implements EventStore {
  constructor(private readonly db: Database) {}

  async append(event: NewEvent): Promise<void> {
    // Nobody waits for an event: it commits with the next write (the request's own, often).
    await this.db.durable.run('appendEvent', event, { rideAlong: true });
  }

  async list(query: EventQuery): Promise<AuditEvent[]> {
    // Events are appended without waiting: what was queued before this read is seen by it.
    await this.db.durable.run('barrier', undefined);
    return this.db.orm
      .select()
      .from(events)
      .where(eventConditions(query, events))
      .orderBy(desc(events.id))
      .limit(query.limit)
      .all();
  }
}
