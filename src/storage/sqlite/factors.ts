/** Second factors (authenticators) and backup codes in SQLite. */
import { and, asc, count, eq, isNull, sql } from 'drizzle-orm';
import type { Authenticator, NewAuthenticator } from '../../model.js';
import type { FactorStore } from '../store.js';
import type { Database } from './db.js';
import { authenticators, backupCodes } from './schema.js';

export class SqliteFactors implements FactorStore {
  private readonly reads;

  constructor(private readonly db: Database) {
    const p = (name: string) => sql.placeholder(name);
    this.reads = {
      authenticators: db.orm.select().from(authenticators).where(eq(authenticators.actorId, p('actorId'))).orderBy(asc(authenticators.createdAt), asc(authenticators.id)).prepare(),
      byCredentialId: db.orm.select().from(authenticators).where(eq(authenticators.credentialId, p('credentialId'))).prepare(),
      backupCodesLeft: db.orm.select({ left: count() }).from(backupCodes).where(and(eq(backupCodes.actorId, p('actorId')), isNull(backupCodes.usedAt))).prepare(),
    };
  }

  async authenticators(actorId: string): Promise<Authenticator[]> {
    return this.reads.authenticators.all({ actorId });
  }

  async byCredentialId(credentialId: string): Promise<Authenticator | undefined> {
    return this.reads.byCredentialId.get({ credentialId });
  }

  async backupCodesLeft(actorId: string): Promise<number> {
    return this.reads.backupCodesLeft.get({ actorId })?.left ?? 0;
  }

  removeAuthenticator(actorId: string, id: string): Promise<boolean> {
    return this.db.durable.run('removeAuthenticator', { actorId, id });
  }

  add(authenticator: NewAuthenticator, extra: { backupCodes?: string[] | undefined; lastStep?: number | undefined }, now: number): Promise<boolean> {
    return this.db.durable.run('addAuthenticator', { authenticator, ...extra, now });
  }

  async replaceBackupCodes(actorId: string, hashes: string[], now: number): Promise<void> {
    await this.db.durable.run('replaceBackupCodes', { actorId, hashes, now });
  }
}
