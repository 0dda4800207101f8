/** Clients: stored overrides merged over the `clients.*` defaults of the configuration. */
import { asc, eq } from 'drizzle-orm';
import type { ClientOverrides, ClientSettings } from '../config/schema.js';
import type { Database } from './db.js';
import { clients } from './schema.js';

export type ClientType = ClientSettings['client_type'];

export interface Client {
  id: string;
  name: string;
  type: ClientType;
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** What this client sets itself. */
  overrides: ClientOverrides;
  /** Effective settings: defaults with the overrides applied. */
  settings: ClientSettings;
  seeded: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface ClientRecord {
  id: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  overrides: ClientOverrides;
  seeded: boolean;
}

/** Apply one client's overrides to the defaults. */
export function effectiveSettings(defaults: ClientSettings, overrides: ClientOverrides): ClientSettings {
  return { ...defaults, ...overrides, scopes: { ...defaults.scopes, ...overrides.scopes } } as ClientSettings;
}

/**
 * How long a client read from the database is reused. Clients are looked up on every token
 * request and change rarely; changes made by this process apply at once, changes made by
 * another process (the CLI) within this many milliseconds.
 */
const CACHE_MS = 1000;

export class Clients {
  private readonly byId;
  private readonly cache = new Map<string, { client: Client | undefined; at: number }>();

  constructor(
    private readonly db: Database,
    private readonly defaults: ClientSettings,
    private readonly clock: () => number,
  ) {
    this.byId = db.orm.query.clients.findFirst({ where: (c, { eq: equals, sql }) => equals(c.id, sql.placeholder('id')) }).prepare();
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
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  find(id: string): Client | undefined {
    const now = performance.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.at < CACHE_MS) return cached.client;
    const row = this.byId.get({ id });
    const client = row ? this.toClient(row) : undefined;
    if (this.cache.size > 10_000) this.cache.clear(); // unknown ids must not grow it without bound
    this.cache.set(id, { client, at: now });
    return client;
  }

  list(): Client[] {
    return this.db.orm.select().from(clients).orderBy(asc(clients.id)).all().map((row) => this.toClient(row));
  }

  /** Insert or replace a client record; returns the stored client. */
  save(record: ClientRecord): Client {
    const now = this.clock();
    const values = {
      id: record.id,
      name: record.name,
      secretHash: record.secretHash,
      redirectUris: record.redirectUris,
      postLogoutRedirectUris: record.postLogoutRedirectUris,
      settings: record.overrides as Record<string, unknown>,
      seeded: record.seeded,
      updatedAt: now,
    };
    this.db.orm
      .insert(clients)
      .values({ ...values, createdAt: now })
      .onConflictDoUpdate({ target: clients.id, set: values })
      .run();
    this.cache.delete(record.id);
    return this.find(record.id)!;
  }

  delete(id: string): void {
    this.db.orm.delete(clients).where(eq(clients.id, id)).run();
    this.cache.delete(id);
  }
}
