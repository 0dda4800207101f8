/**
 * The writes that must survive a crash, as named operations. They run on the writer
 * thread (writer_worker.ts), inside one transaction per batch, one savepoint each, so the
 * checks and changes of one operation are atomic. Arguments and results are plain data.
 */
import type Sqlite from 'better-sqlite3';

export interface TokenValues {
  id: string;
  kind: 'access_token' | 'refresh_token' | 'authorization_code';
  hash: string;
  clientId: string;
  actorId: string | null;
  grantId: string | null;
  grantType: string;
  scope: string;
  format: 'opaque' | 'jwt';
  data: Record<string, unknown> | null;
  createdAt: number;
  expiresAt: number;
}

function statements(db: Sqlite.Database) {
  return {
    insertToken: db.prepare(
      `insert into tokens (id, kind, hash, client_id, actor_id, grant_id, grant_type, scope, format, data, created_at, expires_at)
       values (@id, @kind, @hash, @clientId, @actorId, @grantId, @grantType, @scope, @format, @data, @createdAt, @expiresAt)`,
    ),
    revokeToken: db.prepare('update tokens set revoked_at = @now where hash = @hash and revoked_at is null'),
    deleteExpired: db.prepare('delete from tokens where expires_at < @before'),
    revokeGrant: db.prepare('update tokens set revoked_at = @now where grant_id = @grantId and revoked_at is null'),
  };
}

const prepared = new WeakMap<Sqlite.Database, ReturnType<typeof statements>>();
const on = (db: Sqlite.Database) => {
  let s = prepared.get(db);
  if (!s) prepared.set(db, (s = statements(db)));
  return s;
};

export const WRITES = {
  insertToken(db: Sqlite.Database, token: TokenValues): void {
    on(db).insertToken.run({ ...token, data: token.data === null ? null : JSON.stringify(token.data) });
  },
  /** Returns whether the token was active before. */
  revokeToken(db: Sqlite.Database, args: { hash: string; now: number }): boolean {
    return on(db).revokeToken.run(args).changes > 0;
  },
  /** Returns how many tokens were revoked. */
  revokeGrant(db: Sqlite.Database, args: { grantId: string; now: number }): number {
    return on(db).revokeGrant.run(args).changes;
  },
  /** Delete tokens that expired before `before` (a full scan, on the writer thread); returns how many. */
  deleteExpired(db: Sqlite.Database, args: { before: number }): number {
    return on(db).deleteExpired.run(args).changes;
  },
} satisfies Record<string, (db: Sqlite.Database, args: any) => unknown>;

export type Writes = typeof WRITES;
export type WriteName = keyof Writes;
export type WriteArgs<K extends WriteName> = Parameters<Writes[K]>[1];
export type WriteResult<K extends WriteName> = ReturnType<Writes[K]>;

/** Pragmas every connection uses. */
export function configureConnection(db: Sqlite.Database): void {
  db.pragma('journal_mode = WAL');
  // FULL: a commit is on disk before anyone is told, so a consumed code or a rotated
  // refresh token cannot come back after power loss.
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
}

export interface WriteRequest {
  op: WriteName;
  args: unknown;
}
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; message: string; code?: string };

/** Run a batch in one transaction (one fsync), each write in its own savepoint. */
export function commitBatch(db: Sqlite.Database, batch: WriteRequest[]): WriteOutcome[] {
  const outcomes: WriteOutcome[] = [];
  db.transaction(() => {
    for (const { op, args } of batch) {
      try {
        const write = WRITES[op] as (db: Sqlite.Database, args: unknown) => unknown;
        outcomes.push({ ok: true, value: db.transaction(() => write(db, args))() });
      } catch (error) {
        const { message, code } = error as { message: string; code?: string };
        outcomes.push({ ok: false, message, ...(code ? { code } : {}) });
      }
    }
  }).immediate();
  return outcomes;
}
