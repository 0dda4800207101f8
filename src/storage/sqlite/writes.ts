/**
 * Every write of the SQLite store, as named commands. The DurableWriter (durable.ts) runs
 * them in one transaction per batch and one savepoint each, so the checks and changes of
 * one command are atomic. Arguments and results are plain data
 * (domain types from src/model.ts and src/storage/store.ts); times come from the caller's
 * clock, never from the database.
 */
import type Sqlite from 'better-sqlite3';
import type { ActorChange, ClientRecord, NewAuthenticator, NewEvent, NewToken, TokenKind } from '../../model.js';
import { tokenRow } from '../rows.js';
import type { AdvanceResult, AttemptChange, Exchange, ExchangeResult, Sweep } from '../store.js';
import { importAll } from './import_all.js';
import { preparedOnce } from './prepared.js';

function statements(db: Sqlite.Database) {
  return {
    insertToken: db.prepare(
      `insert into tokens (id, kind, hash, client_id, actor_id, grant_id, grant_type, scope, format, sub, sid, data, created_at, expires_at)
       values (@id, @kind, @hash, @clientId, @actorId, @grantId, @grantType, @scope, @format, @sub, @sid, @data, @createdAt, @expiresAt)`,
    ),
    revokeToken: db.prepare('update tokens set revoked_at = @now where hash = @hash and revoked_at is null'),
    tokenByHash: db.prepare('select * from tokens where hash = ?'),
    consume: db.prepare('update tokens set consumed_at = @now where hash = @hash and consumed_at is null'),
    /** A device gets its row (or its last-seen update) when someone signs in on it. */
    upsertDevice: db.prepare(
      `insert into devices (id, user_agent, ip, created_at, last_seen_at) values (@id, @userAgent, @ip, @now, @now)
       on conflict (id) do update set user_agent = excluded.user_agent, ip = excluded.ip, last_seen_at = excluded.last_seen_at`,
    ),
    createAttempt: db.prepare(
      `insert into attempts (id, client_id, device_id, actor_id, request, passed, steps, created_at, expires_at)
       values (@id, @clientId, @deviceId, @actorId, @request, '[]', '[]', @createdAt, @expiresAt)`,
    ),
    attemptById: db.prepare('select client_id, actor_id, passed, steps, completed_at from attempts where id = ?'),
    attemptDevice: db.prepare('select device_id from attempts where id = ?'),
    claimAttempt: db.prepare("update attempts set device_id = @deviceId where id = @id and device_id = ''"),
    updateAttempt: db.prepare('update attempts set actor_id = @actorId, passed = @passed, steps = @steps where id = @id'),
    completeAttempt: db.prepare('update attempts set completed_at = @now where id = @id and completed_at is null'),
    consentedScopes: db.prepare('select scopes from consents where actor_id = ? and client_id = ?'),
    /**
     * Only the newest pass of a factor by an actor on a device is ever read (lastFactor), so
     * each (actor, device, kind) keeps one row: the table grows with devices, not sign-ins.
     */
    dropOlderFactor: db.prepare('delete from factors where actor_id = @actorId and device_id = @deviceId and kind = @kind and passed_at <= @now'),
    recordFactor: db.prepare(
      `insert into factors (actor_id, device_id, kind, client_id, passed_at) select @actorId, @deviceId, @kind, @clientId, @now
       where not exists (select 1 from factors where actor_id = @actorId and device_id = @deviceId and kind = @kind)`,
    ),
    createSession: db.prepare(
      `insert into sessions (hash, id, actor_id, device_id, auth_time, amr, created_at, last_seen_at, expires_at)
       values (@hash, @id, @actorId, @deviceId, @authTime, @amr, @now, @now, @expiresAt)`,
    ),
    touchSession: db.prepare('update sessions set last_seen_at = @now where hash = @hash and ended_at is null'),
    endSession: db.prepare('update sessions set ended_at = @now where hash = @hash and ended_at is null'),
    endSessionTokens: db.prepare("update tokens set revoked_at = @now where sid = @sid and kind = 'internal_token' and revoked_at is null"),
    forgetDeviceFactors: db.prepare('delete from factors where device_id = @deviceId'),
    revokeDeviceInternalTokens: db.prepare(
      "update tokens set revoked_at = @now where kind = 'internal_token' and revoked_at is null and sid in (select id from sessions where device_id = @deviceId and ended_at is null)",
    ),
    endDeviceSessions: db.prepare('update sessions set ended_at = @now where device_id = @deviceId and ended_at is null'),
    forgetSessionFactors: db.prepare('delete from factors where (actor_id, device_id) in (select actor_id, device_id from sessions where hash = @hash)'),
    blockDevice: db.prepare('update devices set blocked_at = @now where id = @id'),
    saveClient: db.prepare(
      `insert into clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, settings, seeded, previous_secret_hash, previous_secret_expires_at, created_at, updated_at)
       values (@id, @name, @secretHash, @redirectUris, @postLogoutRedirectUris, @settings, @seeded, @previousSecretHash, @previousSecretExpiresAt, @now, @now)
       on conflict (id) do update set name = excluded.name, secret_hash = excluded.secret_hash, redirect_uris = excluded.redirect_uris,
         post_logout_redirect_uris = excluded.post_logout_redirect_uris, settings = excluded.settings, seeded = excluded.seeded,
         previous_secret_hash = case when @keepPrevious then clients.previous_secret_hash else excluded.previous_secret_hash end,
         previous_secret_expires_at = case when @keepPrevious then clients.previous_secret_expires_at else excluded.previous_secret_expires_at end,
         revision = revision + 1, updated_at = excluded.updated_at`,
    ),
    clientRevision: db.prepare('select revision from clients where id = ?'),
    actorRevision: db.prepare('select revision from actors where id = ?'),
    updateActor: db.prepare(
      `update actors set nickname = case when @setNickname then @nickname else nickname end, name = case when @setName then @name else name end,
         scopes = coalesce(@scopes, scopes), disabled_at = case when @disabled is null then disabled_at when @disabled then coalesce(disabled_at, @now) else null end,
         revision = revision + 1, updated_at = @now where id = @id`,
    ),
    emailsOf: db.prepare('select address, verified_at from emails where actor_id = ?'),
    deleteEmails: db.prepare('delete from emails where actor_id = ?'),
    revokeActorTokens: db.prepare('update tokens set revoked_at = @now where actor_id = @actorId and revoked_at is null'),
    forgetActorFactors: db.prepare('delete from factors where actor_id = @actorId'),
    deleteActor: db.prepare('delete from actors where id = ?'),
    scopeHeld: db.prepare("select 1 from actors, json_each(actors.scopes) where json_each.value = ? and actors.disabled_at is null limit 1"),
    voidActorLinks: db.prepare('delete from login_links where actor_id = @actorId and used_at is null'),
    changePassword: db.prepare('update actors set password_hash = @hash, password_changed_at = @now, revision = revision + 1, updated_at = @now where id = @actorId'),
    endOtherInternalTokens: db.prepare(
      "update tokens set revoked_at = @now where kind = 'internal_token' and revoked_at is null and sid in (select id from sessions where actor_id = @actorId and id <> @keep)",
    ),
    endOtherSessions: db.prepare('update sessions set ended_at = @now where actor_id = @actorId and id <> @keep and ended_at is null'),
    deleteConsent: db.prepare('delete from consents where actor_id = @actorId and client_id = @clientId'),
    revokeClientTokensOf: db.prepare(
      "update tokens set revoked_at = @now where actor_id = @actorId and client_id = @clientId and kind in ('access_token', 'refresh_token') and revoked_at is null",
    ),
    deleteAuthenticator: db.prepare('delete from authenticators where id = @id and actor_id = @actorId'),
    insertEvent: db.prepare('insert into events (at, type, actor_id, client_id, by, ip, detail) values (@at, @type, @actorId, @clientId, @by, @ip, @detail)'),
    deleteClient: db.prepare('delete from clients where id = ?'),
    insertActor: db.prepare(
      `insert into actors (id, nickname, public_uuid, name, password_hash, password_changed_at, scopes, created_at, updated_at)
       values (@id, @nickname, @publicUuid, @name, @passwordHash, @passwordChangedAt, @scopes, @now, @now)`,
    ),
    insertEmail: db.prepare('insert into emails (actor_id, address, verified_at, created_at) values (@actorId, @address, @verifiedAt, @now)'),
    setSetting: db.prepare(
      `insert into settings (key, value, updated_at) values (@key, @value, @now)
       on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
    ),
    activeKeys: db.prepare('select kid from signing_keys where retired_at is null'),
    retireKey: db.prepare('update signing_keys set retired_at = @now, publish_until = @publishUntil where kid = @kid'),
    activateKey: db.prepare(
      `insert into signing_keys (kid, alg, public_jwk, created_at) values (@kid, @alg, @publicJwk, @now)
       on conflict (kid) do update set retired_at = null, publish_until = null`,
    ),
    saveConsent: db.prepare(
      `insert into consents (actor_id, client_id, scopes, granted_at) values (@actorId, @clientId, @scopes, @now)
       on conflict (actor_id, client_id) do update set scopes = excluded.scopes, granted_at = excluded.granted_at`,
    ),
    setPasswordHash: db.prepare('update actors set password_hash = @hash, updated_at = @now where id = @actorId'),
    resetPassword: db.prepare('update actors set password_hash = @hash, password_changed_at = @now, updated_at = @now where id = @actorId'),
    endActorSessions: db.prepare('update sessions set ended_at = @now where actor_id = @actorId and ended_at is null'),
    endActorInternalTokens: db.prepare(
      "update tokens set revoked_at = @now where kind = 'internal_token' and revoked_at is null and sid in (select id from sessions where actor_id = @actorId)",
    ),
    onboard: db.prepare(
      `update actors set name = @name, password_hash = coalesce(password_hash, @passwordHash),
         password_changed_at = case when password_hash is null and @passwordHash is not null then @now else password_changed_at end,
         onboarded_at = @now, updated_at = @now where id = @actorId`,
    ),
    revokeGrant: db.prepare('update tokens set revoked_at = @now where grant_id = @grantId and revoked_at is null'),
    useTotpStep: db.prepare(
      'update authenticators set last_step = @step, last_used_at = @now where id = @authenticatorId and actor_id = @actorId and (last_step is null or last_step < @step)',
    ),
    useBackupCode: db.prepare('update backup_codes set used_at = @now where actor_id = @actorId and hash = @hash and used_at is null'),
    hasAuthenticator: db.prepare('select 1 from authenticators where actor_id = ? limit 1'),
    credentialTaken: db.prepare('select 1 from authenticators where credential_id = ?'),
    authenticatorExists: db.prepare('select 1 from authenticators where id = ?'),
    insertAuthenticator: db.prepare(
      `insert into authenticators (id, actor_id, kind, name, secret, last_step, credential_id, public_key, counter, transports, created_at, last_used_at)
       values (@id, @actorId, @kind, @name, @secret, @lastStep, @credentialId, @publicKey, @counter, @transports, @now, @now)`,
    ),
    insertChallenge: db.prepare('insert into challenges (challenge, attempt_id, purpose, created_at, expires_at) values (@challenge, @attemptId, @purpose, @now, @expiresAt)'),
    dropUnusedChallenges: db.prepare('delete from challenges where attempt_id = @attemptId and purpose = @purpose and used_at is null'),
    useChallenge: db.prepare('update challenges set used_at = @now where challenge = @challenge and attempt_id = @attemptId and used_at is null and expires_at > @now'),
    /** The counter must grow, unless the authenticator keeps none (0 then and now). */
    useCredential: db.prepare(
      'update authenticators set counter = @counter, last_used_at = @now where id = @authenticatorId and actor_id = @actorId and (counter < @counter or (counter = 0 and @counter = 0))',
    ),
    deleteBackupCodes: db.prepare('delete from backup_codes where actor_id = ?'),
    useLoginLink: db.prepare(
      'update login_links set used_at = @now where hash = @hash and actor_id = @actorId and purpose = @purpose and used_at is null and expires_at > @now returning address',
    ),
    dropUnusedLoginLinks: db.prepare('delete from login_links where attempt_id = @attemptId and purpose = @purpose and used_at is null'),
    insertLoginLink: db.prepare(
      `insert into login_links (hash, attempt_id, actor_id, address, purpose, code_hash, created_at, expires_at)
       values (@hash, @attemptId, @actorId, @address, @purpose, @codeHash, @now, @expiresAt)`,
    ),
    /** Using a link or code sent to an address proves the actor reads it. */
    verifyEmail: db.prepare('update emails set verified_at = @now where actor_id = @actorId and address = @address'),
    insertBackupCode: db.prepare('insert into backup_codes (actor_id, hash, created_at) values (@actorId, @hash, @now)'),
  };
}

const on = preparedOnce(statements);

/** Consume a single-use token of `kind` and store what it is exchanged for; a second use revokes its grant. */
function exchangeOnce(db: Sqlite.Database, kind: TokenKind, args: Exchange): ExchangeResult {
  const s = on(db);
  const token = s.tokenByHash.get(args.hash) as { kind: string; client_id: string; grant_id: string | null; consumed_at: number | null; revoked_at: number | null; expires_at: number } | undefined;
  if (!token || token.kind !== kind || token.client_id !== args.clientId) return 'invalid';
  if (token.consumed_at !== null) {
    if (token.grant_id) s.revokeGrant.run({ grantId: token.grant_id, now: args.now });
    return 'used';
  }
  if (token.revoked_at !== null || token.expires_at <= args.now) return 'invalid';
  s.consume.run({ hash: args.hash, now: args.now });
  for (const successor of args.tokens) WRITES.insertToken(db, successor);
  return 'ok';
}

/** A write that names the revision it is based on, and may have to keep someone holding a scope: done, or nothing written. */
export type Revised = 'ok' | 'stale' | 'missing' | 'last';

/** A command refused on purpose: its savepoint rolls back and the result is returned. */
class Refusal extends Error {
  constructor(readonly result: string) {
    super(result);
  }
}

/** Run `body` in a savepoint; anything but 'ok' (or true) rolls back what it wrote, and is returned. */
function refusable<T extends string | boolean>(db: Sqlite.Database, body: () => T): T {
  try {
    return db.transaction(() => {
      const result = body();
      if (result !== 'ok' && result !== true) throw new Refusal(String(result));
      return result;
    })();
  } catch (error) {
    if (error instanceof Refusal) return (error.result === 'false' ? false : error.result) as T;
    throw error;
  }
}

/**
 * The body of updateActor: identifiers, name, scopes, and disabled (which ends every session,
 * revokes every token, forgets remembered factors and voids unused emailed links). With
 * `keepScope`, an enabled actor must still hold that scope after ('last', rolled back).
 */
function changeActor(db: Sqlite.Database, args: { id: string; change: ActorChange; now: number; expectRevision?: number | undefined; keepScope?: string | undefined }): Revised {
  const s = on(db);
  const { id, change, now } = args;
  const current = s.actorRevision.get(id) as { revision: number } | undefined;
  if (!current) return 'missing';
  if (args.expectRevision !== undefined && current.revision !== args.expectRevision) return 'stale';
  s.updateActor.run({
    id,
    now,
    setNickname: change.nickname !== undefined ? 1 : 0,
    nickname: change.nickname ?? null,
    setName: change.name !== undefined ? 1 : 0,
    name: change.name ?? null,
    scopes: change.scopes ? JSON.stringify(change.scopes) : null,
    disabled: change.disabled === undefined ? null : change.disabled ? 1 : 0,
  });
  if (change.email !== undefined) {
    const before = s.emailsOf.all(id) as Array<{ address: string; verified_at: number | null }>;
    s.deleteEmails.run(id);
    if (change.email !== null) {
      const kept = before.find((e) => e.address === change.email);
      s.insertEmail.run({ actorId: id, address: change.email, verifiedAt: kept?.verified_at ?? null, now });
    }
  }
  if (change.disabled) {
    s.forgetActorFactors.run({ actorId: id });
    s.endActorInternalTokens.run({ actorId: id, now });
    s.endActorSessions.run({ actorId: id, now });
    s.revokeActorTokens.run({ actorId: id, now });
    // A link or code on its way (a reset a manager sent, say) must not work once they are disabled.
    s.voidActorLinks.run({ actorId: id });
  }
  return args.keepScope && !s.scopeHeld.get(args.keepScope) ? 'last' : 'ok';
}

/** The body of advanceAttempt; anything but 'ok' is rolled back by the caller. */
function advance(db: Sqlite.Database, change: AttemptChange): AdvanceResult {
  const s = on(db);
  const { attemptId: id, now } = change;
  if (change.create) s.createAttempt.run({ ...change.create, request: JSON.stringify(change.create.request) });
  if (change.claim !== undefined && s.claimAttempt.run({ id, deviceId: change.claim }).changes === 0) {
    const current = s.attemptDevice.get(id) as { device_id: string } | undefined;
    if (current && current.device_id !== change.claim) return 'refused';
  }
  const row = s.attemptById.get(id) as { client_id: string; actor_id: string | null; passed: string; steps: string; completed_at: number | null } | undefined;
  if (!row || row.completed_at !== null) return 'finished';
  let actorId = row.actor_id;
  let passed = JSON.parse(row.passed) as Array<{ factor: string; at: number }>;
  let steps = JSON.parse(row.steps) as string[];
  if (change.actorId !== undefined && change.actorId !== actorId) {
    // Another actor than the one bound starts afresh; binding an attempt that had none keeps its steps (a login link asked for).
    if (actorId !== null) [passed, steps] = [[], []];
    actorId = change.actorId;
  }
  if (actorId !== null) {
    const { use, enrol } = change;
    if (enrol) {
      if (enrol.firstOnly && s.hasAuthenticator.get(actorId)) return 'refused';
      const { authenticator } = enrol;
      if (authenticator.credentialId && s.credentialTaken.get(authenticator.credentialId)) return 'refused';
      s.insertAuthenticator.run({
        ...authenticator,
        actorId,
        secret: authenticator.secret ?? null,
        lastStep: null,
        credentialId: authenticator.credentialId ?? null,
        publicKey: authenticator.publicKey ?? null,
        counter: authenticator.counter ?? 0,
        transports: JSON.stringify(authenticator.transports ?? []),
        now,
      });
      if (enrol.backupCodes) {
        s.deleteBackupCodes.run(actorId);
        for (const hash of enrol.backupCodes) s.insertBackupCode.run({ actorId, hash, now });
      }
    }
    // After enrolment: the code that confirms a new authenticator uses up its step.
    if (use && 'totpStep' in use && s.useTotpStep.run({ ...use.totpStep, actorId, now }).changes === 0) return 'refused';
    if (use && 'backupCode' in use && s.useBackupCode.run({ actorId, hash: use.backupCode, now }).changes === 0) return 'refused';
    if (use && 'challenge' in use) {
      if (s.useChallenge.run({ challenge: use.challenge, attemptId: id, now }).changes === 0) return 'refused';
      if (use.webauthn && s.useCredential.run({ ...use.webauthn, actorId, now }).changes === 0) return 'refused';
    }
    if (use && ('loginLink' in use || 'verification' in use || 'smsCode' in use)) {
      const [hash, purpose] = 'loginLink' in use ? [use.loginLink, 'sign-in'] : 'verification' in use ? [use.verification, 'verify'] : [use.smsCode, 'sms'];
      const used = s.useLoginLink.get({ actorId, hash, purpose, now }) as { address: string } | undefined;
      if (!used) return 'refused';
      if (purpose !== 'sms') s.verifyEmail.run({ actorId, address: used.address, now });
      if (purpose === 'verify') steps = [...new Set([...steps, 'email-verified'])];
    }
    if (change.passed) passed = [...passed, { factor: change.passed.factor, at: now }];
    if (change.consent) {
      steps = [...new Set([...steps, 'consent'])];
      const before = s.consentedScopes.get(actorId, row.client_id) as { scopes: string } | undefined;
      const scopes = [...new Set([...(before ? (JSON.parse(before.scopes) as string[]) : []), ...change.consent.scopes])];
      s.saveConsent.run({ actorId, clientId: row.client_id, scopes: JSON.stringify(scopes), now });
    }
    if (change.rehash) s.setPasswordHash.run({ actorId, hash: change.rehash, now });
    if (change.newPassword) {
      // A reset password signs the actor out everywhere: whoever knew the old one is out.
      s.resetPassword.run({ actorId, hash: change.newPassword, now });
      s.endActorInternalTokens.run({ actorId, now });
      s.endActorSessions.run({ actorId, now });
      steps = [...new Set([...steps, 'password-set'])];
    }
    if (change.onboard) {
      s.onboard.run({ actorId, name: change.onboard.name, passwordHash: change.onboard.passwordHash ?? null, now });
      steps = [...new Set([...steps, 'onboarded'])];
    }
  }
  if (change.challenge) {
    s.dropUnusedChallenges.run({ attemptId: id, purpose: change.challenge.purpose });
    s.insertChallenge.run({ ...change.challenge, attemptId: id, now });
  }
  if (change.linkSent) {
    // Asking for a link names nobody: the attempt's actor stays as it was until the link or code is used.
    const { link } = change.linkSent;
    if (link.purpose === 'sign-in') steps = [...new Set([...steps, 'login-link', ...(change.linkSent.reset ? ['password-reset'] : [])])];
    s.dropUnusedLoginLinks.run({ attemptId: id, purpose: link.purpose });
    s.insertLoginLink.run({ ...link, now });
  }
  s.updateAttempt.run({ id, actorId, passed: JSON.stringify(passed), steps: JSON.stringify(steps) });
  const finish = change.finish;
  if (finish) {
    s.completeAttempt.run({ id, now });
    if (finish !== 'denied') {
      s.upsertDevice.run({ ...finish.device, now });
      // The factors count on the device (known device, remembered factors) once the sign-in is finished, not before.
      for (const factor of actorId === null ? [] : passed) {
        const pass = { actorId, deviceId: finish.device.id, kind: factor.factor, clientId: row.client_id, now: factor.at };
        s.dropOlderFactor.run(pass);
        s.recordFactor.run(pass);
      }
      if (finish.touch) s.touchSession.run({ hash: finish.touch, now });
      if (finish.end) WRITES.endSession(db, { ...finish.end, now });
      if (finish.create) s.createSession.run({ ...finish.create, amr: JSON.stringify(finish.create.amr), now });
      WRITES.insertToken(db, finish.token);
    }
  }
  return 'ok';
}

export const WRITES = {
  insertToken(db: Sqlite.Database, token: NewToken): void {
    on(db).insertToken.run(tokenRow(token));
  },
  /** Returns whether the token was active before. */
  revokeToken(db: Sqlite.Database, args: { hash: string; now: number }): boolean {
    return on(db).revokeToken.run(args).changes > 0;
  },
  /** Returns how many tokens were revoked. */
  revokeGrant(db: Sqlite.Database, args: { grantId: string; now: number }): number {
    return on(db).revokeGrant.run(args).changes;
  },
  /**
   * Redeem an authorization code: mark it consumed and store the tokens it buys, in one
   * transaction. A code seen again revokes everything its grant issued (RFC 6749 4.1.2).
   */
  redeemCode(db: Sqlite.Database, args: Exchange): ExchangeResult {
    return exchangeOnce(db, 'authorization_code', args);
  },
  /**
   * Rotate a refresh token: consume it and store its successors. Presenting a rotated one
   * again revokes the whole grant (RFC 9700 4.14.2).
   */
  rotateRefreshToken(db: Sqlite.Database, args: Exchange): ExchangeResult {
    return exchangeOnce(db, 'refresh_token', args);
  },
  /**
   * One step of a sign-in in one transaction: create the attempt, bind its actor (another
   * actor than before starts it afresh: no factors or steps of someone else carry over),
   * append a passed factor (read and written here, so two tabs cannot lose one), record
   * consent, use up a TOTP step or backup code, set up a second factor, rehash the password,
   * and finish it (complete the attempt, settle the session, store what the client gets).
   * Writes nothing unless it returns 'ok' (the savepoint rolls back a refusal): an unknown
   * or finished attempt is 'finished', a used step or code 'refused'.
   */
  advanceAttempt(db: Sqlite.Database, change: AttemptChange): AdvanceResult {
    return refusable(db, () => advance(db, change));
  },
  /** Sign out: end a session and the internal-client cookies it issued, and forget the factors passed on its device. */
  signOut(db: Sqlite.Database, args: { hash: string; sid: string; now: number }): void {
    on(db).forgetSessionFactors.run({ hash: args.hash });
    WRITES.endSession(db, args);
  },
  /** Sign a device out: its sessions and their internal cookies end, its remembered factors are forgotten. */
  signOutDevice(db: Sqlite.Database, args: { deviceId: string; now: number }): void {
    const s = on(db);
    s.forgetDeviceFactors.run(args);
    s.revokeDeviceInternalTokens.run(args);
    s.endDeviceSessions.run(args);
  },
  /** End a session and the internal-client cookies it issued (a fresh sign-in replacing it). */
  endSession(db: Sqlite.Database, args: { hash: string; sid: string; now: number }): void {
    on(db).endSession.run({ hash: args.hash, now: args.now });
    on(db).endSessionTokens.run({ sid: args.sid, now: args.now });
  },
  blockDevice(db: Sqlite.Database, args: { id: string; now: number }): void {
    on(db).blockDevice.run(args);
  },
  /** Insert or replace a client; with `expectRevision`, only while it is still at that revision. */
  saveClient(db: Sqlite.Database, args: { record: ClientRecord; now: number; expectRevision?: number | undefined }): Revised {
    const { record } = args;
    const s = on(db);
    if (args.expectRevision !== undefined) {
      const current = s.clientRevision.get(record.id) as { revision: number } | undefined;
      if (!current) return 'missing';
      if (current.revision !== args.expectRevision) return 'stale';
    }
    s.saveClient.run({
      id: record.id,
      name: record.name,
      secretHash: record.secretHash,
      redirectUris: JSON.stringify(record.redirectUris),
      postLogoutRedirectUris: JSON.stringify(record.postLogoutRedirectUris),
      settings: JSON.stringify(record.overrides),
      seeded: record.seeded ? 1 : 0,
      previousSecretHash: record.previousSecretHash ?? null,
      previousSecretExpiresAt: record.previousSecretExpiresAt ?? null,
      // A record that does not say (a seed, an autofilled redirect URI) keeps the rotation overlap.
      keepPrevious: record.previousSecretHash === undefined ? 1 : 0,
      now: args.now,
    });
    return 'ok';
  },
  deleteClient(db: Sqlite.Database, args: { id: string }): boolean {
    return on(db).deleteClient.run(args.id).changes > 0;
  },
  /**
   * Change an actor: identifiers, name, scopes, and disabled (which ends every session,
   * revokes every token and forgets remembered factors in the same transaction).
   */
  updateActor(db: Sqlite.Database, args: { id: string; change: ActorChange; now: number; expectRevision?: number | undefined; keepScope?: string | undefined }): Revised {
    return refusable(db, () => changeActor(db, args));
  },
  /** Delete an actor; with `keepScope`, only if an enabled actor still holds that scope after ('last' otherwise, nothing written). */
  deleteActor(db: Sqlite.Database, args: { id: string; keepScope?: string | undefined }): boolean | 'last' {
    const s = on(db);
    return refusable(db, () => {
      if (s.deleteActor.run(args.id).changes === 0) return false;
      return args.keepScope && !s.scopeHeld.get(args.keepScope) ? 'last' : true;
    });
  },
  /** Every session of an actor ends, with its internal cookies; remembered factors are forgotten. */
  endSessionsOf(db: Sqlite.Database, args: { actorId: string; now: number }): void {
    const s = on(db);
    s.forgetActorFactors.run({ actorId: args.actorId });
    s.endActorInternalTokens.run(args);
    s.endActorSessions.run(args);
  },
  /** The actor chose a new password: every other session of theirs ends. */
  setPassword(db: Sqlite.Database, args: { actorId: string; hash: string; now: number; keep: string }): void {
    const s = on(db);
    s.changePassword.run(args);
    s.endOtherInternalTokens.run(args);
    s.endOtherSessions.run(args);
  },
  /** Withdraw consent, and revoke what the client holds for the actor. */
  withdrawConsent(db: Sqlite.Database, args: { actorId: string; clientId: string; now: number }): boolean {
    const s = on(db);
    const had = s.deleteConsent.run(args).changes > 0;
    s.revokeClientTokensOf.run(args);
    return had;
  },
  /** Remove an authenticator; with the last one go the backup codes. */
  removeAuthenticator(db: Sqlite.Database, args: { actorId: string; id: string }): boolean {
    const s = on(db);
    const had = s.deleteAuthenticator.run(args).changes > 0;
    if (had && !s.hasAuthenticator.get(args.actorId)) s.deleteBackupCodes.run(args.actorId);
    return had;
  },
  /** An authenticator set up at /account (and a new set of backup codes with the first one). */
  addAuthenticator(db: Sqlite.Database, args: { authenticator: NewAuthenticator; backupCodes?: string[] | undefined; lastStep?: number | undefined; now: number }): boolean {
    const s = on(db);
    const { authenticator, now } = args;
    if (authenticator.credentialId && s.credentialTaken.get(authenticator.credentialId)) return false;
    if (s.authenticatorExists.get(authenticator.id)) return false;
    s.insertAuthenticator.run({
      ...authenticator,
      secret: authenticator.secret ?? null,
      lastStep: args.lastStep ?? null,
      credentialId: authenticator.credentialId ?? null,
      publicKey: authenticator.publicKey ?? null,
      counter: authenticator.counter ?? 0,
      transports: JSON.stringify(authenticator.transports ?? []),
      now,
    });
    if (args.backupCodes) WRITES.replaceBackupCodes(db, { actorId: authenticator.actorId, hashes: args.backupCodes, now });
    return true;
  },
  replaceBackupCodes(db: Sqlite.Database, args: { actorId: string; hashes: string[]; now: number }): void {
    const s = on(db);
    s.deleteBackupCodes.run(args.actorId);
    for (const hash of args.hashes) s.insertBackupCode.run({ actorId: args.actorId, hash, now: args.now });
  },
  /** Clients and actors from another installation (`masks import`): the claims already taken, or [] once all is written. */
  importAll,
  /** Writes nothing: it settles once everything queued before it is on disk. */
  barrier(): void {},
  appendEvent(db: Sqlite.Database, event: NewEvent): void {
    on(db).insertEvent.run({ ...event, detail: JSON.stringify(event.detail) });
  },
  /** An actor and its email address, together (a taken nickname or address fails the whole command). */
  createActor(db: Sqlite.Database, args: { id: string; publicUuid: string; nickname: string | null; name: string | null; passwordHash: string | null; scopes: string[]; email: string | null; emailVerified: boolean; now: number }): void {
    const s = on(db);
    s.insertActor.run({ ...args, passwordChangedAt: args.passwordHash ? args.now : null, scopes: JSON.stringify(args.scopes) });
    if (args.email) s.insertEmail.run({ actorId: args.id, address: args.email, verifiedAt: args.emailVerified ? args.now : null, now: args.now });
  },
  setSetting(db: Sqlite.Database, args: { key: string; value: unknown; now: number }): void {
    on(db).setSetting.run({ key: args.key, value: JSON.stringify(args.value), now: args.now });
  },
  /** Record the active signing keys; every other key still active is retired and published until `publishUntil`. */
  activateKeys(db: Sqlite.Database, args: { keys: Array<{ kid: string; alg: string; publicJwk: Record<string, unknown> }>; now: number; publishUntil: number }): void {
    const s = on(db);
    const active = new Set(args.keys.map((key) => key.kid));
    for (const { kid } of s.activeKeys.all() as Array<{ kid: string }>) if (!active.has(kid)) s.retireKey.run({ kid, now: args.now, publishUntil: args.publishUntil });
    for (const key of args.keys) s.activateKey.run({ ...key, publicJwk: JSON.stringify(key.publicJwk), now: args.now });
  },
} satisfies Record<string, (db: Sqlite.Database, args: any) => unknown>;

/** How many rows the sweep deletes in one transaction. */
const SWEEP_CHUNK = 1000;

/** What the sweep deletes, in this order: each table's rows that match, with the Sweep field the condition names. */
const SWEPT = [
  // Attempts as soon as they expire (anyone can start one).
  { table: 'attempts', where: 'expires_at < ?', arg: 'now' },
  // Sessions and tokens that expired before `before` (kept a while so replays are still recognised).
  { table: 'sessions', where: 'expires_at < ?', arg: 'before' },
  // Unblocked devices not seen since `devicesBefore` (their cookie has expired).
  { table: 'devices', where: 'last_seen_at < ? and blocked_at is null', arg: 'devicesBefore' },
  { table: 'events', where: 'at < ?', arg: 'eventsBefore' },
  { table: 'tokens', where: 'expires_at < ?', arg: 'before' },
] as const;

/**
 * The sweep, in chunks: each chunk's rows are found outside any transaction and deleted in a
 * short one of its own, so the write lock is never held for a scan or for long (commits on
 * the serving connection wait a few milliseconds at most). Returns how many tokens went.
 */
export function sweepInChunks(db: Sqlite.Database, args: Sweep): number {
  let tokens = 0;
  for (const { table, where, arg } of SWEPT) {
    const find = db.prepare(`select rowid from ${table} where ${where} limit ${SWEEP_CHUNK}`).pluck();
    const remove = db.prepare(`delete from ${table} where rowid in (select value from json_each(?)) and ${where}`);
    for (;;) {
      const rowids = find.all(args[arg]) as number[];
      if (rowids.length === 0) break;
      const gone = db.transaction(() => remove.run(JSON.stringify(rowids), args[arg]).changes).immediate();
      if (table === 'tokens') tokens += gone;
      if (rowids.length < SWEEP_CHUNK) break;
    }
  }
  return tokens;
}

export type Writes = typeof WRITES;
export type WriteName = keyof Writes;
export type WriteArgs<K extends WriteName> = Parameters<Writes[K]>[1];
export type WriteResult<K extends WriteName> = ReturnType<Writes[K]>;

/** Pragmas every connection uses. */
export function configureConnection(db: Sqlite.Database): void {
  db.pragma('journal_mode = WAL');
  // NORMAL: a commit writes the log without waiting for the disk. The DurableWriter syncs the
  // log before it tells anyone a write that must survive a crash is done (and a checkpoint
  // syncs it too), so what was acknowledged is on disk, and the serving thread never waits.
  db.pragma('synchronous = NORMAL');
  // Checkpoints wait for the disk twice: the checkpointer thread runs them, never a commit.
  db.pragma('wal_autocheckpoint = 0');
  // A log that grew in a burst is cut back to this when it starts over (64 MiB).
  db.pragma('journal_size_limit = 67108864');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Statement journals (a savepoint's undo) in memory rather than a temporary file opened and unlinked per use.
  db.pragma('temp_store = MEMORY');
}

export interface WriteRequest {
  op: WriteName;
  args: unknown;
}
export type WriteOutcome = { ok: true; value: unknown } | { ok: false; message: string; code?: string };

/**
 * Writes that promise nobody anything once on disk: an audit event (nobody waits for it), a
 * new sign-in attempt (lost in a power cut, the person starts again), a barrier. They are
 * done once committed; every other write is done once the log it is in is synced. The log
 * is appended in order, so the sync of a later write covers them too.
 */
export function waitsForDisk({ op, args }: WriteRequest): boolean {
  if (op === 'appendEvent' || op === 'barrier') return false;
  if (op !== 'advanceAttempt') return true;
  return Object.keys(args as AttemptChange).some((key) => key !== 'attemptId' && key !== 'now' && key !== 'create');
}

/** Run a batch in one transaction, each write in its own savepoint: one write's failure is its own. */
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
