/**
 * The rate limits' counts in PostgreSQL, shared by every node: a take locks its keys
 * (transaction-level advisory locks, which hold for keys not counted yet too), reads them,
 * and counts only when none must wait, so parallel guesses spread over several nodes get no
 * more checks than one after another. The arithmetic is the one of src/security/rate_limit.ts.
 */
import { afterFailure, waitOf, type Counted, type Counters, type Entry } from '../../security/rate_limit.js';
import { sha256 } from '../../security/secrets.js';
import type { PgDatabase, Tx } from './db.js';

/** A key as stored: as it is when plain and short, else its hash (a typed client id may hold any byte, NUL included). */
const stored = (key: string): string => (/^[\x20-\x7e]{1,200}$/.test(key) ? key : `sha256:${sha256(key)}`);

/** Each key once, in one order (every take locks in the same order: no deadlocks). */
function distinct(keys: Counted[]): Counted[] {
  const byId = new Map(keys.map((counted) => [`${counted.limit.name}\0${counted.key}`, counted]));
  return [...byId.keys()].sort().map((id) => byId.get(id)!);
}

export class PgCounters implements Counters {
  constructor(
    private readonly db: PgDatabase,
    private readonly clock: () => number,
  ) {}

  private async entry(tx: Tx, { limit, key }: Counted): Promise<Entry | undefined> {
    const { rows } = await tx.query<{ failures: number; last_failure: number }>('select failures, last_failure from limit_counts where name = $1 and key = $2', [limit.name, stored(key)]);
    return rows[0] && { failures: rows[0].failures, lastFailure: rows[0].last_failure };
  }

  private async lock(tx: Tx, keys: Counted[]): Promise<void> {
    for (const { limit, key } of distinct(keys)) await tx.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.db.schema} limit ${limit.name} ${stored(key)}`]);
  }

  take(check: Counted[], count: Counted[]): Promise<number> {
    return this.db.command(async (tx) => {
      const now = this.clock();
      await this.lock(tx, [...check, ...count]);
      let wait = 0;
      for (const counted of check) wait = Math.max(wait, waitOf(await this.entry(tx, counted), counted.limit, now));
      if (wait > 0) return wait;
      for (const counted of distinct(count)) {
        const next = afterFailure(await this.entry(tx, counted), counted.limit, now);
        await tx.query(
          `insert into limit_counts (name, key, failures, last_failure, expires_at) values ($1, $2, $3, $4, $5)
           on conflict (name, key) do update set failures = excluded.failures, last_failure = excluded.last_failure, expires_at = excluded.expires_at`,
          [counted.limit.name, stored(counted.key), next.failures, next.lastFailure, next.lastFailure + counted.limit.window],
        );
      }
      return 0;
    });
  }

  /** One query for every key (client authentication peeks on every token and introspection request). */
  async peek(check: Counted[]): Promise<{ wait: number; known: Counted[] }> {
    const now = this.clock();
    const { rows } = await this.db.pool.query<{ name: string; key: string; failures: number; last_failure: number }>(
      'select name, key, failures, last_failure from limit_counts where (name, key) in (select * from unnest($1::text[], $2::text[]))',
      [check.map((counted) => counted.limit.name), check.map((counted) => stored(counted.key))],
    );
    const entries = new Map(rows.map((row) => [`${row.name}\0${row.key}`, { failures: row.failures, lastFailure: row.last_failure }]));
    let wait = 0;
    const known: Counted[] = [];
    for (const counted of check) {
      const entry = entries.get(`${counted.limit.name}\0${stored(counted.key)}`);
      wait = Math.max(wait, waitOf(entry, counted.limit, now));
      if (entry && now - entry.lastFailure <= counted.limit.window) known.push(counted);
    }
    return { wait, known };
  }

  async forgive(counted: Counted): Promise<void> {
    await this.db.command(async (tx) => {
      await this.lock(tx, [counted]);
      const entry = await this.entry(tx, counted);
      if (!entry) return;
      if (entry.failures <= 1) await tx.query('delete from limit_counts where name = $1 and key = $2', [counted.limit.name, stored(counted.key)]);
      else await tx.query('update limit_counts set failures = failures - 1 where name = $1 and key = $2', [counted.limit.name, stored(counted.key)]);
    });
  }

  async clear(counted: Counted): Promise<void> {
    await this.db.command((tx) => tx.query('delete from limit_counts where name = $1 and key = $2', [counted.limit.name, stored(counted.key)]));
  }
}
