/** Public halves of the signing keys, in SQLite; the private keys live in the key file. */
import { and, gt, isNull, or } from 'drizzle-orm';
import type { SigningKeyRecord } from '../../model.js';
import type { SigningKeyStore } from '../store.js';
import type { Database } from './db.js';
import { signingKeys } from './schema.js';

export class SqliteSigningKeys implements SigningKeyStore {
  constructor(private readonly db: Database) {}

  async published(now: number): Promise<SigningKeyRecord[]> {
    return this.db.orm
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.retiredAt), and(gt(signingKeys.publishUntil, now))))
      .all()
      .sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid));
  }

  async activate(keys: Array<Pick<SigningKeyRecord, 'kid' | 'alg' | 'publicJwk'>>, now: number, publishUntil: number): Promise<void> {
    await this.db.durable.run('activateKeys', { keys, now, publishUntil });
  }

  /** One process owns an SQLite file: the keys change only through this store, when activated. */
  watch(listener: () => void): void {
    this.db.durable.watch((op) => op === 'activateKeys' && listener());
  }
}
