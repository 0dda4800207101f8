/** exportAll on SQLite: clients and actors with what is theirs, read in one transaction (a consistent snapshot under WAL). */
import { asc } from 'drizzle-orm';
import type { Portable, PortableActor } from '../../model.js';
import { byActor } from '../rows.js';
import type { Database } from './db.js';
import { actors, authenticators, backupCodes, clients, consents, emails } from './schema.js';

export function exportAll(db: Database): Portable {
  return db.sqlite.transaction((): Portable => {
    const { orm } = db;
    const addresses = byActor(orm.select({ actorId: emails.actorId, address: emails.address, verifiedAt: emails.verifiedAt, createdAt: emails.createdAt }).from(emails).orderBy(asc(emails.id)).all());
    const factors = byActor(orm.select().from(authenticators).orderBy(asc(authenticators.createdAt), asc(authenticators.id)).all());
    const codes = byActor(orm.select().from(backupCodes).orderBy(asc(backupCodes.createdAt), asc(backupCodes.hash)).all());
    const allowed = byActor(orm.select().from(consents).orderBy(asc(consents.clientId)).all());
    return {
      clients: orm
        .select()
        .from(clients)
        .orderBy(asc(clients.id))
        .all()
        .map((row) => ({
          id: row.id,
          name: row.name,
          secretHash: row.secretHash,
          redirectUris: row.redirectUris,
          postLogoutRedirectUris: row.postLogoutRedirectUris,
          overrides: row.settings,
          seeded: row.seeded,
          previousSecretHash: row.previousSecretHash,
          previousSecretExpiresAt: row.previousSecretExpiresAt,
          createdAt: row.createdAt,
        })),
      actors: orm
        .select()
        .from(actors)
        .orderBy(asc(actors.createdAt), asc(actors.id))
        .all()
        .map(
          (row): PortableActor => ({
            id: row.id,
            publicUuid: row.publicUuid,
            nickname: row.nickname,
            name: row.name,
            passwordHash: row.passwordHash,
            passwordChangedAt: row.passwordChangedAt,
            onboardedAt: row.onboardedAt,
            scopes: row.scopes,
            disabledAt: row.disabledAt,
            createdAt: row.createdAt,
            emails: addresses.get(row.id) ?? [],
            authenticators: factors.get(row.id) ?? [],
            backupCodes: codes.get(row.id) ?? [],
            consents: allowed.get(row.id) ?? [],
          }),
        ),
    };
  })();
}
