/**
 * Tokens and codes, stored by the SHA-256 of their value. Reads run here; writes that must
 * survive a crash (issuing, consuming, revoking) are durable writes (writes.ts).
 */
import { eq, sql } from 'drizzle-orm';
import { sha256 } from '../security/secrets.js';
import type { Database } from './db.js';
import { tokens } from './schema.js';
import type { TokenValues, WriteArgs, WriteName, WriteResult } from './writes.js';

export type TokenRow = typeof tokens.$inferSelect;
export type NewToken = Omit<TokenValues, 'actorId' | 'grantId' | 'scope' | 'format' | 'data'> & Partial<TokenValues>;
export type TokenKind = TokenRow['kind'];

/**
 * Known tokens read from the database are reused for this long: resource servers
 * introspect the same token on every call. Every durable write that can change a stored
 * token's validity (CHANGES_TOKENS) clears the cache when it is queued and again when it is
 * on disk, whoever asked for it.
 */
const CACHE_MS = 1000;
const CACHE_MAX = 10_000;

const CHANGES_TOKENS: ReadonlySet<WriteName> = new Set<WriteName>(['revokeToken', 'revokeGrant', 'redeemCode', 'rotateRefreshToken', 'advanceAttempt', 'endSession', 'deleteExpired']);

export class Tokens {
  private readonly byHash;
  private readonly cache = new Map<string, { row: TokenRow; at: number }>();

  constructor(private readonly db: Database) {
    this.byHash = db.orm.select().from(tokens).where(eq(tokens.hash, sql.placeholder('hash'))).prepare();
    db.durable.watch((op) => CHANGES_TOKENS.has(op) && this.cache.clear());
  }

  findByHash(hash: string): TokenRow | undefined {
    const now = performance.now();
    const cached = this.cache.get(hash);
    if (cached && now - cached.at < CACHE_MS) return cached.row;
    const row = this.byHash.get({ hash });
    if (row) {
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(hash, { row, at: now });
    } else if (cached) this.cache.delete(hash);
    return row;
  }

  /** The token with this value if it is usable now (not revoked, consumed or expired) and one of `kinds`. */
  live(value: string, kinds: TokenKind[], now: number): TokenRow | undefined {
    const row = this.findByHash(sha256(value));
    if (!row || !kinds.includes(row.kind) || row.revokedAt !== null || row.consumedAt !== null || row.expiresAt <= now) return undefined;
    return row;
  }

  /** Store a newly issued token; resolves once it is on disk. */
  insert(token: NewToken): Promise<void> {
    return this.db.durable.run('insertToken', { actorId: null, grantId: null, scope: '', format: 'opaque', data: null, ...token });
  }

  /** Revoke one token; resolves once it is on disk. */
  async revoke(hash: string, now: number): Promise<void> {
    await this.db.durable.run('revokeToken', { hash, now });
  }

  /** Revoke every token of a grant; resolves once it is on disk. */
  async revokeGrant(grantId: string, now: number): Promise<void> {
    await this.db.durable.run('revokeGrant', { grantId, now });
  }

  /** Redeem a code and store the tokens it buys (writes.ts redeemCode). */
  redeemCode(args: WriteArgs<'redeemCode'>): Promise<WriteResult<'redeemCode'>> {
    return this.db.durable.run('redeemCode', args);
  }

  /** Rotate a refresh token (writes.ts rotateRefreshToken). */
  rotateRefreshToken(args: WriteArgs<'rotateRefreshToken'>): Promise<WriteResult<'rotateRefreshToken'>> {
    return this.db.durable.run('rotateRefreshToken', args);
  }

  /** The sweep (writes.ts deleteExpired); returns how many tokens went. */
  deleteExpired(args: WriteArgs<'deleteExpired'>): Promise<number> {
    return this.db.durable.run('deleteExpired', args);
  }
}
