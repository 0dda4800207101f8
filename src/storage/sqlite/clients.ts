/** Clients in SQLite: stored overrides merged over the `clients.*` defaults of the configuration. */
import { asc, eq, sql } from 'drizzle-orm';
import type { ClientSettings } from '../../config/schema.js';
import { StaleError } from '../../errors.js';
import type { Client, ClientRecord } from '../../model.js';
import { clientOf } from '../rows.js';
import type { ClientStore } from '../store.js';
import type { Database } from './db.js';
import { clients } from './schema.js';


/**
 * How long a client (or the list of them) read from the database is reused. Clients are
 * looked up on every token request, listed at every new session, and change rarely;
 * changes made through this store apply at once, changes made by another process (the
 * CLI) within this many milliseconds.
 */
const CACHE_MS = 1000;

export class SqliteClients implements ClientStore {
  private readonly byId;
  private readonly all;
  private readonly cache = new Map<string, { client: Client | undefined; at: number }>();
  private listed: { clients: Client[]; at: number } | undefined;

  constructor(
    private readonly db: Database,
    private readonly defaults: ClientSettings,
    private readonly clock: () => number,
  ) {
    this.byId = db.orm.select().from(clients).where(eq(clients.id, sql.placeholder('id'))).prepare();
    this.all = db.orm.select().from(clients).orderBy(asc(clients.id)).prepare();
    db.durable.watch((op) => {
      if (op !== 'saveClient' && op !== 'deleteClient' && op !== 'importAll') return;
      this.cache.clear();
      this.listed = undefined;
    });
  }

  async find(id: string): Promise<Client | undefined> {
    const now = performance.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.at < CACHE_MS) return cached.client;
    const row = this.byId.get({ id });
    const client = row ? clientOf(row, this.defaults) : undefined;
    if (this.cache.size > 10_000) this.cache.clear(); // unknown ids must not grow it without bound
    this.cache.set(id, { client, at: now });
    return client;
  }

  async list(): Promise<Client[]> {
    const now = performance.now();
    if (!this.listed || now - this.listed.at >= CACHE_MS) this.listed = { clients: this.all.all().map((row) => clientOf(row, this.defaults)), at: now };
    return [...this.listed.clients];
  }

  async save(record: ClientRecord, expectRevision?: number): Promise<Client> {
    const outcome = await this.db.durable.run('saveClient', { record, now: this.clock(), expectRevision });
    if (outcome !== 'ok') throw new StaleError();
    return (await this.find(record.id))!;
  }

  delete(id: string): Promise<boolean> {
    return this.db.durable.run('deleteClient', { id });
  }
}
