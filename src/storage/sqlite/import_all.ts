/**
 * The importAll command: every claim checked, then every row written with the ids, hashes and
 * times it came with, in one command (a savepoint of one transaction: a row that fails takes
 * the whole import back).
 */
import type Sqlite from 'better-sqlite3';
import type { Portable } from '../../model.js';
import { claimsOf } from '../claims.js';
import type { ImportClaim } from '../store.js';
import { preparedOnce } from './prepared.js';

const on = preparedOnce((db) => ({
  taken: {
    client: db.prepare('select 1 from clients where id = ?'),
    actor: db.prepare('select 1 from actors where id = ?'),
    nickname: db.prepare('select 1 from actors where nickname = ?'),
    email: db.prepare('select 1 from emails where address = ?'),
    'public-uuid': db.prepare('select 1 from actors where public_uuid = ?'),
    authenticator: db.prepare('select 1 from authenticators where id = ?'),
    credential: db.prepare('select 1 from authenticators where credential_id = ?'),
  } satisfies Record<ImportClaim['kind'], Sqlite.Statement>,
  client: db.prepare(
    `insert into clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, settings, seeded, previous_secret_hash, previous_secret_expires_at, created_at, updated_at)
     values (@id, @name, @secretHash, @redirectUris, @postLogoutRedirectUris, @overrides, @seeded, @previousSecretHash, @previousSecretExpiresAt, @createdAt, @now)`,
  ),
  actor: db.prepare(
    `insert into actors (id, public_uuid, nickname, name, password_hash, password_changed_at, onboarded_at, scopes, disabled_at, created_at, updated_at)
     values (@id, @publicUuid, @nickname, @name, @passwordHash, @passwordChangedAt, @onboardedAt, @scopes, @disabledAt, @createdAt, @now)`,
  ),
  email: db.prepare('insert into emails (actor_id, address, verified_at, created_at) values (@actorId, @address, @verifiedAt, @createdAt)'),
  authenticator: db.prepare(
    `insert into authenticators (id, actor_id, kind, name, secret, last_step, credential_id, public_key, counter, transports, created_at, last_used_at)
     values (@id, @actorId, @kind, @name, @secret, @lastStep, @credentialId, @publicKey, @counter, @transports, @createdAt, @lastUsedAt)`,
  ),
  backupCode: db.prepare('insert into backup_codes (actor_id, hash, created_at, used_at) values (@actorId, @hash, @createdAt, @usedAt)'),
  consent: db.prepare('insert into consents (actor_id, client_id, scopes, granted_at) values (@actorId, @clientId, @scopes, @grantedAt)'),
}));

export function importAll(db: Sqlite.Database, args: { data: Portable; now: number }): ImportClaim[] {
  const s = on(db);
  const { data, now } = args;
  const taken = claimsOf(data).filter((claim) => s.taken[claim.kind].get(claim.value) !== undefined);
  if (taken.length > 0) return taken;
  for (const client of data.clients) {
    s.client.run({
      ...client,
      redirectUris: JSON.stringify(client.redirectUris),
      postLogoutRedirectUris: JSON.stringify(client.postLogoutRedirectUris),
      overrides: JSON.stringify(client.overrides),
      seeded: client.seeded ? 1 : 0,
      now,
    });
  }
  for (const { emails, authenticators, backupCodes, consents, ...actor } of data.actors) {
    const actorId = actor.id;
    s.actor.run({ ...actor, scopes: JSON.stringify(actor.scopes), now });
    for (const email of emails) s.email.run({ ...email, actorId });
    for (const authenticator of authenticators) s.authenticator.run({ ...authenticator, transports: JSON.stringify(authenticator.transports), actorId });
    for (const code of backupCodes) s.backupCode.run({ ...code, actorId });
    for (const consent of consents) s.consent.run({ ...consent, scopes: JSON.stringify(consent.scopes), actorId });
  }
  return [];
}
