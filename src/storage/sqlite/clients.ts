/** Clients in SQLite: stored overrides merged over the `clients.*` defaults of the configuration. */
import { asc, eq, sql } from 'drizzle-orm';
import { effectiveSettings, type ClientOverrides, type ClientSettings } from '../../config/schema.js';
import { StaleError } from '../../errors.js';
import type { Client, ClientRecord } from '../../model.js';
import type { ClientStore } from '../store.js';
import type { Database } from './db.js';
import { clients } from './schema.js';


/**
 * How long a client read from the database is reused. Clients are looked up on every token
 * request and change rarely; changes made through this store apply at once, changes made
 * by another process (the CLI) within this many milliseconds.
 */
const CACHE_MS = 1000;

export class SqliteClients implements ClientStore {
  private readonly byId;
  private readonly all;
  private readonly cache = new Map<string, { client: Client | undefined; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly defaults: ClientSettings,
    private readonly clock: () => number,
  ) {
    this.byId = db.orm.select().from(clients).where(eq(clients.id, sql.placeholder('id'))).prepare();
    this.all = db.orm.select().from(clients).orderBy(asc(clients.id)).prepare();
    db.durable.watch((op) => (op === 'saveClient' || op === 'deleteClient' || op === 'importAll') && this.cache.clear());
  }

  private toClient(row: typeof clients.$inferSelect): Client {
    const overrides = row.settings as ClientOverrides;
    const settings = effectiveSettings(this.defaults, overrides);
    return {
      id: row.id,
      name: row.name,
      type: settings.client_type,
      secretHash: row.secretHash,
      redirectUris: row.redirectUris,
      postLogoutRedirectUris: row.postLogoutRedirectUris,
      overrides,
      settings,
      seeded: row.seeded,
      previousSecretHash: row.previousSecretHash,
      previousSecretExpiresAt: row.previousSecretExpiresAt,
      revision: row.revision,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  async find(id: string): Promise<Client | undefined> {
    const now = performance.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.at < CACHE_MS) return cached.client;
    const row = this.byId.get({ id });
    const client = row ? this.toClient(row) : undefined;
    if (this.cache.size > 10_000) this.cache.clear(); // unknown ids must not grow it without bound
    this.cache.set(id, { client, at: now });
    return client;
  }

  async list(): Promise<Client[]> {
    return this.all.all().map((row) => this.toClient(row));
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
