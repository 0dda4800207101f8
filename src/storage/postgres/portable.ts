/**
 * exportAll and importAll on PostgreSQL (`masks export` / `masks import`): the export reads one
 * snapshot (a repeatable-read, read-only transaction); the import checks every claim, then
 * writes every row as it came, in one transaction.
 */
import { asc } from 'drizzle-orm';
import type { Portable } from '../../model.js';
import { claimsOf } from '../claims.js';
import { byActor, portableActorOf, portableClientOf } from '../rows.js';
import type { ImportClaim } from '../store.js';
import type { PgDatabase } from './db.js';
import { actors, authenticators, backupCodes, clients, consents, emails } from './schema.js';

export function exportAll(db: PgDatabase): Promise<Portable> {
  return db.orm.transaction(
    async (tx): Promise<Portable> => {
      const addresses = byActor(await tx.select({ actorId: emails.actorId, address: emails.address, verifiedAt: emails.verifiedAt, createdAt: emails.createdAt }).from(emails).orderBy(asc(emails.id)));
      const factors = byActor(await tx.select().from(authenticators).orderBy(asc(authenticators.createdAt), asc(authenticators.id)));
      const codes = byActor(await tx.select().from(backupCodes).orderBy(asc(backupCodes.createdAt), asc(backupCodes.hash)));
      const allowed = byActor(await tx.select().from(consents).orderBy(asc(consents.clientId)));
      const clientRows = await tx.select().from(clients).orderBy(asc(clients.id));
      const actorRows = await tx.select().from(actors).orderBy(asc(actors.createdAt), asc(actors.id));
      return {
        clients: clientRows.map(portableClientOf),
        actors: actorRows.map((row) => portableActorOf(row, { emails: addresses, authenticators: factors, backupCodes: codes, consents: allowed })),
      };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

const TAKEN: Record<ImportClaim['kind'], string> = {
  client: 'select 1 from clients where id = $1',
  actor: 'select 1 from actors where id = $1',
  nickname: 'select 1 from actors where nickname = $1',
  email: 'select 1 from emails where address = $1',
  'public-uuid': 'select 1 from actors where public_uuid = $1',
  authenticator: 'select 1 from authenticators where id = $1',
  credential: 'select 1 from authenticators where credential_id = $1',
};

export function importAll(db: PgDatabase, data: Portable, now: number): Promise<ImportClaim[]> {
  return db.command(async (tx) => {
    const taken: ImportClaim[] = [];
    for (const claim of claimsOf(data)) if ((await tx.query(TAKEN[claim.kind], [claim.value])).rows.length > 0) taken.push(claim);
    if (taken.length > 0) return taken;
    const json = JSON.stringify;
    for (const c of data.clients) {
      await tx.query(
        `insert into clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, settings, seeded, previous_secret_hash, previous_secret_expires_at, created_at, updated_at)
         values ($1, $2, $3, $4::jsonb, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11)`,
        [c.id, c.name, c.secretHash, json(c.redirectUris), json(c.postLogoutRedirectUris), json(c.overrides), c.seeded, c.previousSecretHash, c.previousSecretExpiresAt, c.createdAt, now],
      );
    }
    for (const a of data.actors) {
      await tx.query(
        `insert into actors (id, public_uuid, nickname, name, password_hash, password_changed_at, onboarded_at, scopes, disabled_at, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9, $10, $11)`,
        [a.id, a.publicUuid, a.nickname, a.name, a.passwordHash, a.passwordChangedAt, a.onboardedAt, json(a.scopes), a.disabledAt, a.createdAt, now],
      );
      for (const e of a.emails) await tx.query('insert into emails (actor_id, address, verified_at, created_at) values ($1, $2, $3, $4)', [a.id, e.address, e.verifiedAt, e.createdAt]);
      for (const f of a.authenticators) {
        await tx.query(
          `insert into authenticators (id, actor_id, kind, name, secret, last_step, credential_id, public_key, counter, transports, created_at, last_used_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12)`,
          [f.id, a.id, f.kind, f.name, f.secret, f.lastStep, f.credentialId, f.publicKey, f.counter, json(f.transports), f.createdAt, f.lastUsedAt],
        );
      }
      for (const b of a.backupCodes) await tx.query('insert into backup_codes (actor_id, hash, created_at, used_at) values ($1, $2, $3, $4)', [a.id, b.hash, b.createdAt, b.usedAt]);
      for (const c of a.consents) await tx.query('insert into consents (actor_id, client_id, scopes, granted_at) values ($1, $2, $3::jsonb, $4)', [a.id, c.clientId, json(c.scopes), c.grantedAt]);
    }
    return taken;
  });
}
