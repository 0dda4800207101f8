/**
 * Tokens and codes, stored by the SHA-256 of their value. Writes that must survive a
 * crash (issuing, consuming, revoking) go through the database's group commit.
 */
import { and, eq, isNull, lt, sql } from 'drizzle-orm';
import type { Database } from './db.js';
import { tokens } from './schema.js';

export type TokenRow = typeof tokens.$inferSelect;
export type NewToken = typeof tokens.$inferInsert;
export type TokenKind = TokenRow['kind'];

export class Tokens {
  private readonly byHash;
  private readonly insertOne;

  constructor(private readonly db: Database) {
    this.byHash = db.orm.select().from(tokens).where(eq(tokens.hash, sql.placeholder('hash'))).prepare();
    this.insertOne = db.orm
      .insert(tokens)
      .values({
        id: sql.placeholder('id'),
        kind: sql.placeholder('kind'),
        hash: sql.placeholder('hash'),
        clientId: sql.placeholder('clientId'),
        actorId: sql.placeholder('actorId'),
        grantId: sql.placeholder('grantId'),
        grantType: sql.placeholder('grantType'),
        scope: sql.placeholder('scope'),
        format: sql.placeholder('format'),
        data: sql.placeholder('data'),
        createdAt: sql.placeholder('createdAt'),
        expiresAt: sql.placeholder('expiresAt'),
      })
      .prepare();
  }

  findByHash(hash: string): TokenRow | undefined {
    return this.byHash.get({ hash });
  }

  /** Store a newly issued token durably; resolves once it is on disk. */
  insert(token: NewToken): Promise<void> {
    const values = { actorId: null, grantId: null, scope: '', format: 'opaque', ...token, data: token.data ?? null };
    return this.db.durable.run(() => {
      this.insertOne.run(values);
    });
  }

  /** Revoke one token durably. */
  revoke(id: string, now: number): Promise<void> {
    return this.db.durable.run(() => {
      this.db.orm.update(tokens).set({ revokedAt: now }).where(and(eq(tokens.id, id), isNull(tokens.revokedAt))).run();
    });
  }

  /** Revoke every token of a grant durably. */
  revokeGrant(grantId: string, now: number): Promise<void> {
    return this.db.durable.run(() => {
      this.db.orm.update(tokens).set({ revokedAt: now }).where(and(eq(tokens.grantId, grantId), isNull(tokens.revokedAt))).run();
    });
  }

  /** Delete tokens that expired before `before`; returns how many. */
  deleteExpired(before: number): number {
    return this.db.orm.delete(tokens).where(lt(tokens.expiresAt, before)).run().changes;
  }
}
