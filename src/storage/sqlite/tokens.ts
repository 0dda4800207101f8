/**
 * Tokens and codes in SQLite, stored by the SHA-256 of their value. Reads are briefly
 * cached; every write is a durable command (durable.ts).
 */
import { eq, sql } from 'drizzle-orm';
import type { NewToken, TokenKind, TokenRecord } from '../../model.js';
import { tokenRecordOf } from '../rows.js';
import { sha256 } from '../../security/secrets.js';
import type { Exchange, ExchangeResult, TokenStore } from '../store.js';
import type { Database } from './db.js';
import { tokens } from './schema.js';
import type { WriteName } from './writes.js';

/**
 * Known tokens read from the database are reused for this long: resource servers
 * introspect the same token on every call. Every durable write that can change a stored
 * token's validity (CHANGES_TOKENS) clears the cache when it is queued and again when it is
 * on disk, whoever asked for it.
 */
const CACHE_MS = 1000;
const CACHE_MAX = 10_000;

const CHANGES_TOKENS: ReadonlySet<WriteName> = new Set<WriteName>(['revokeToken', 'revokeGrant', 'redeemCode', 'rotateRefreshToken', 'advanceAttempt', 'endSession', 'signOut', 'signOutDevice', 'deleteClient', 'updateActor', 'deleteActor', 'setPassword', 'withdrawConsent', 'endSessionsOf']);

export class SqliteTokens implements TokenStore {
  private readonly byHash;
  private readonly cache = new Map<string, { record: TokenRecord; at: number }>();

  constructor(private readonly db: Database) {
    this.byHash = db.orm.select().from(tokens).where(eq(tokens.hash, sql.placeholder('hash'))).prepare();
    db.durable.watch((op) => CHANGES_TOKENS.has(op) && this.cache.clear());
  }

  private findSync(hash: string): TokenRecord | undefined {
    const now = performance.now();
    const cached = this.cache.get(hash);
    if (cached && now - cached.at < CACHE_MS) return cached.record;
    const row = this.byHash.get({ hash });
    if (!row) {
      if (cached) this.cache.delete(hash);
      return undefined;
    }
    const record = tokenRecordOf(row);
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { record, at: now });
    return record;
  }

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    return this.findSync(hash);
  }

  async live(value: string, kinds: readonly TokenKind[], now: number): Promise<TokenRecord | undefined> {
    const record = this.findSync(sha256(value));
    if (!record || !kinds.includes(record.kind) || record.revokedAt !== null || record.consumedAt !== null || record.expiresAt <= now) return undefined;
    return record;
  }

  async insert(token: NewToken): Promise<void> {
    await this.db.durable.run('insertToken', token);
  }

  async revoke(hash: string, now: number): Promise<void> {
    await this.db.durable.run('revokeToken', { hash, now });
  }

  async revokeGrant(grantId: string, now: number): Promise<void> {
    await this.db.durable.run('revokeGrant', { grantId, now });
  }

  redeemCode(exchange: Exchange): Promise<ExchangeResult> {
    return this.db.durable.run('redeemCode', exchange);
  }

  rotateRefreshToken(exchange: Exchange): Promise<ExchangeResult> {
    return this.db.durable.run('rotateRefreshToken', exchange);
  }
}
