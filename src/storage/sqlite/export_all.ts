/** exportAll on SQLite: clients and actors with what is theirs, read in one transaction (a consistent snapshot under WAL). */
import { asc } from 'drizzle-orm';
import type { Portable } from '../../model.js';
import { byActor, portableActorOf, portableClientOf } from '../rows.js';
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
        .map(portableClientOf),
      actors: orm
        .select()
        .from(actors)
        .orderBy(asc(actors.createdAt), asc(actors.id))
        .all()
        .map((row) => portableActorOf(row, { emails: addresses, authenticators: factors, backupCodes: codes, consents: allowed })),
    };
  })();
}
