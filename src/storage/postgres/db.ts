/**
 * The PostgreSQL database: a connection pool, migrations run by one node at a time (an
 * advisory lock, so N nodes booting together migrate once), commands in transactions, and
 * a LISTEN connection through which every node hears what another changed.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { withoutPassword } from '../../config/load.js';
import { ConfigError, StoreUnavailable } from '../../errors.js';
import { PG_MIGRATIONS_DIR } from '../../paths.js';
import * as tables from './schema.js';

export type Orm = NodePgDatabase<typeof tables>;

/** The table (in the installation's schema) that records applied migrations. */
const MIGRATIONS_TABLE = 'masks_migrations';
/** Advisory lock keys: masks's own namespace, then the job (with the schema's hash). */
const LOCK_NAMESPACE = 0x6d61736b; // "mask"
export const LOCKS = { migrate: 1, sweep: 2, scopeGuard: 3, bootstrap: 4 } as const;

/** Changes another node must hear about: what it keeps of them is rebuilt (the JWKS). */
export type Change = 'signing_keys';
const CHANNEL = 'masks_changes';

/** int8 (bigint, count(*)) as a number: times are unix seconds, counts are small. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser,
};

/** What a command runs its statements on: the transaction's connection. */
export interface Tx {
  query<R extends pg.QueryResultRow = Record<string, any>>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface PgOptions {
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Where the migrations are (tests). */
  migrationsFolder?: string;
}

/**
 * Parse `postgres://…[?schema=name]`: the optional `schema` parameter puts masks's tables in
 * a schema of their own (the tests give each run a fresh one); `pool_size` sizes the pool.
 */
export function poolConfig(url: string): { config: pg.PoolConfig; schema: string } {
  const parsed = new URL(url);
  const schemaName = parsed.searchParams.get('schema') ?? 'public';
  const poolSize = Number(parsed.searchParams.get('pool_size') ?? 10);
  if (!/^[a-z_][a-z0-9_]*$/.test(schemaName)) throw new ConfigError(`db_url: the schema "${schemaName}" must be a plain lower-case identifier`);
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) throw new ConfigError('db_url: pool_size must be a whole number from 1 to 1000');
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('pool_size');
  return {
    schema: schemaName,
    config: {
      connectionString: parsed.toString(),
      max: poolSize,
      options: `-c search_path=${schemaName}`,
      types,
      // A database that does not answer must not hold requests: readiness fails fast, and the node recovers when it is back.
      connectionTimeoutMillis: 5000,
      application_name: 'masks',
    },
  };
}

/** Errors that say the database cannot be reached now (not that a statement is wrong). */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/** A failure to reach the database as StoreUnavailable (every surface answers it with 503); anything else as it is. */
export function unavailable(error: unknown): unknown {
  const { code, message } = error as { code?: string; message?: string };
  const lost = (code !== undefined && (UNREACHABLE.has(code) || code.startsWith('08'))) || /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message ?? '');
  return lost ? new StoreUnavailable('the database does not answer') : error;
}

/**
 * A value as PostgreSQL can take it. Its text cannot hold NUL (U+0000), nor can jsonb hold
 * `\u0000`: both become U+FFFD, the replacement character. What is looked up with one then
 * matches nothing, as on SQLite (nothing stored holds one: the Management API refuses them);
 * typed text kept in an audit event keeps its place.
 */
export function storable(value: unknown): unknown {
  if (typeof value !== 'string' || !(value.includes('\0') || value.includes('\\u0000'))) return value;
  return value.replace(/\0/g, '\uFFFD').replace(/\\u0000/g, '\\ufffd');
}

/** A pool query's arguments with their values storable: (text or config, values) or a config holding its values. */
const storableArgs = (args: unknown[]): unknown[] => {
  const [first, second, ...rest] = args;
  if (Array.isArray(second)) return [first, second.map(storable), ...rest];
  const values = first !== null && typeof first === 'object' ? (first as { values?: unknown }).values : undefined;
  return Array.isArray(values) ? [{ ...(first as object), values: values.map(storable) }, ...args.slice(1)] : args;
};

/** A pool whose connection failures come out as StoreUnavailable, for drizzle's reads and the commands alike. */
class Pool extends pg.Pool {
  private readonly guarded = new WeakSet<pg.PoolClient>();

  override connect(...args: unknown[]): any {
    if (args.length > 0) return (super.connect as (...a: unknown[]) => unknown)(...args);
    return super.connect().then(
      (client) => {
        // A checked-out connection that breaks (PostgreSQL stopped) emits 'error'; unheard, that
        // would end the process. Its query rejects all the same, and is answered 503.
        if (!this.guarded.has(client)) {
          client.on('error', () => {});
          this.guarded.add(client);
        }
        return client;
      },
      (error: unknown) => {
        throw unavailable(error);
      },
    );
  }

  override query(...args: unknown[]): any {
    const result = (super.query as (...a: unknown[]) => unknown)(...storableArgs(args));
    return result instanceof Promise
      ? result.catch((error: unknown) => {
          throw unavailable(error);
        })
      : result;
  }
}

export class PgDatabase {
  readonly orm: Orm;
  private listener: pg.Client | undefined;
  private closed = false;
  private readonly watchers: Array<(change: Change) => void> = [];
  /** Commands committed so far, and the seconds all commands took (metrics). */
  readonly stats = { batches: 0, writes: 0, seconds: 0 };

  constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    private readonly connection: pg.PoolConfig,
  ) {
    this.orm = drizzle(pool, { schema: tables });
    // An idle connection that breaks (PostgreSQL restarted) is dropped by the pool; it must not crash the process.
    pool.on('error', () => {});
  }

  /** Call `watcher` for every change, made here or announced by another node (and for all of them after a lost connection). */
  watch(watcher: (change: Change) => void): void {
    this.watchers.push(watcher);
  }

  private heard(change: Change) {
    for (const watcher of this.watchers) watcher(change);
  }

  /** Listen for other nodes' changes; reconnects by itself (and then rebuilds what it keeps, as it may have missed some). */
  async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ ...this.connection });
    client.on('notification', (message) => {
      const [schemaName, change] = (message.payload ?? '').split(':');
      if (schemaName === this.schema) this.heard(change as Change);
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = undefined;
      client.end().catch(() => {});
      if (!this.closed) setTimeout(() => void this.listen(), 1000).unref();
    };
    client.on('error', lost);
    client.on('end', lost);
    this.listener = client;
    try {
      await client.connect();
      await client.query(`listen ${CHANNEL}`);
      // What changed while nobody listened is unknown: every cache starts over.
      this.heard('signing_keys');
    } catch {
      lost();
    }
  }

  /**
   * Run one command in one transaction: its checks and changes are atomic, and it resolves
   * once committed (synchronous_commit: on disk, and on the standby if one is required).
   * `announce` tells every node what changed, on commit.
   */
  async command<T>(body: (tx: Tx) => Promise<T>, announce?: Change): Promise<T> {
    const started = performance.now();
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const result = await body(client);
      if (isRefusal(result)) {
        await client.query('rollback');
        return result;
      }
      if (announce) await client.query('select pg_notify($1, $2)', [CHANNEL, `${this.schema}:${announce}`]);
      await client.query('commit');
      this.stats.batches++;
      this.stats.writes++;
      if (announce) this.heard(announce);
      return result;
    } catch (error) {
      await client.query('rollback').catch(() => {});
      const mapped = unavailable(error);
      // A connection that broke is not given back to the pool for the next command to find broken.
      broken = mapped instanceof StoreUnavailable;
      throw mapped;
    } finally {
      client.release(broken);
      this.stats.seconds += (performance.now() - started) / 1000;
    }
  }

  /** Take a lock for the rest of the transaction (serialises the commands that take it). */
  async lock(tx: Tx, job: number): Promise<void> {
    await tx.query('select pg_advisory_xact_lock($1, hashtext($2::text || $3::text))', [LOCK_NAMESPACE, this.schema, job]);
  }

  /** Run `task` once no other node is running it (a session lock, waited for). */
  async exclusively<T>(job: number, task: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const key = [LOCK_NAMESPACE, this.schema, job];
    try {
      await client.query('select pg_advisory_lock($1, hashtext($2::text || $3::text))', key);
      try {
        return await task();
      } finally {
        await client.query('select pg_advisory_unlock($1, hashtext($2::text || $3::text))', key).catch(() => {});
      }
    } finally {
      client.release();
    }
  }

  /** Run `task` only if no other node is running it now (a session lock, tried once). */
  async once<T>(job: number, task: () => Promise<T>): Promise<T | undefined> {
    const client = await this.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1, hashtext($2::text || $3::text)) as locked', [LOCK_NAMESPACE, this.schema, job]);
      if (!rows[0]!.locked) return undefined;
      try {
        return await task();
      } finally {
        await client.query('select pg_advisory_unlock($1, hashtext($2::text || $3::text))', [LOCK_NAMESPACE, this.schema, job]);
      }
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => {});
    await this.pool.end();
  }
}

/** A command's refusal (nothing written): its transaction rolls back and the result is returned. */
export type Refused = 'stale' | 'missing' | 'last' | 'refused' | 'finished' | 'used' | 'invalid' | false;
const REFUSALS = new Set<unknown>(['stale', 'missing', 'last', 'refused', 'finished', 'used', 'invalid', false]);
const isRefusal = (result: unknown): boolean => REFUSALS.has(result);

/** Connect, migrate (one node at a time) or refuse a database that is behind, and listen. */
export async function openPgDatabase(url: string, options: PgOptions = {}): Promise<PgDatabase> {
  const { config, schema: schemaName } = poolConfig(url);
  const pool = new Pool(config);
  const db = new PgDatabase(pool, schemaName, config);
  try {
    const folder = options.migrationsFolder ?? PG_MIGRATIONS_DIR;
    if (options.migrate !== false) await applyMigrations(db, folder);
    else await refusePending(db, folder);
    await db.listen();
  } catch (error) {
    await db.close();
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot open the PostgreSQL database ${withoutPassword(url)}: ${(error as Error).message}`);
  }
  return db;
}


const journalLength = (folder: string): number =>
  (JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

/** Apply pending migrations under a session advisory lock: nodes booting together wait their turn, and the later ones find nothing to do. */
async function applyMigrations(db: PgDatabase, folder: string): Promise<void> {
  await db.exclusively(LOCKS.migrate, async () => {
    await db.pool.query(`create schema if not exists ${db.schema}`);
    await migrate(drizzle(db.pool), { migrationsFolder: folder, migrationsSchema: db.schema, migrationsTable: MIGRATIONS_TABLE });
  });
}

/** Without migrating (skip_migrations), a database that is behind stops the boot saying what to do. */
async function refusePending(db: PgDatabase, folder: string): Promise<void> {
  const total = journalLength(folder);
  const tracked = (await db.pool.query<{ table: string | null }>('select to_regclass($1)::text as table', [`${db.schema}.${MIGRATIONS_TABLE}`])).rows[0]!.table !== null;
  const applied = tracked ? (await db.pool.query<{ n: number }>(`select count(*) as n from ${db.schema}.${MIGRATIONS_TABLE}`)).rows[0]!.n : 0;
  if (applied < total) throw new ConfigError(`the database needs migrating (${applied} of ${total} migrations applied): run \`masks migrate\`, or unset MASKS_SKIP_MIGRATIONS`);
}
