/**
 * Every write of the PostgreSQL store, as named commands, each run in one transaction
 * (PgDatabase.command). They mirror the SQLite store's commands (src/storage/sqlite/writes.ts,
 * where each is explained) and hold across nodes with SQL alone: the rows a command decides
 * on are locked (`for update`) or changed only where still unchanged (`… is null`), so of two
 * nodes redeeming one code, finishing one attempt or taking one step, one wins.
 */
import type { ActorChange, ClientRecord, NewAuthenticator, NewEvent, NewToken, TokenKind } from '../../model.js';
import type { AdvanceResult, AttemptChange, Exchange, ExchangeResult, Sweep } from '../store.js';
import { tokenRow } from '../rows.js';
import { LOCKS, storable, type PgDatabase, type Tx } from './db.js';

/**
 * A statement written with named parameters (`@name`), as PostgreSQL's positional ones.
 * Arrays and objects go as JSON (jsonb columns); everything else as is.
 */
function statement(text: string) {
  const names: string[] = [];
  const positional = text.replace(/@(\w+)/g, (_, name: string) => {
    let index = names.indexOf(name);
    if (index < 0) index = names.push(name) - 1;
    return `$${index + 1}`;
  });
  return (tx: Tx, args: object = {}) =>
    tx.query(
      positional,
      names.map((name) => {
        const value = (args as Record<string, unknown>)[name];
        if (value === undefined) return null;
        return storable(value !== null && typeof value === 'object' ? JSON.stringify(value) : value);
      }),
    );
}

const S = {
  insertToken: statement(
    `insert into tokens (id, kind, hash, client_id, actor_id, grant_id, grant_type, scope, format, sub, sid, data, created_at, expires_at)
     values (@id, @kind, @hash, @clientId, @actorId, @grantId, @grantType, @scope, @format, @sub, @sid, @data::jsonb, @createdAt, @expiresAt)`,
  ),
  revokeToken: statement('update tokens set revoked_at = @now where hash = @hash and revoked_at is null'),
  revokeGrant: statement('update tokens set revoked_at = @now where grant_id = @grantId and revoked_at is null'),
  tokenForUpdate: statement('select kind, client_id, grant_id, consumed_at, revoked_at, expires_at from tokens where hash = @hash for update'),
  consume: statement('update tokens set consumed_at = @now where hash = @hash and consumed_at is null'),
  deleteExpired: statement('delete from tokens where expires_at < @before'),
  deleteExpiredAttempts: statement('delete from attempts where expires_at < @now'),
  deleteExpiredSessions: statement('delete from sessions where expires_at < @before'),
  deleteForgottenDevices: statement('delete from devices where last_seen_at < @devicesBefore and blocked_at is null'),
  deleteOldEvents: statement('delete from events where at < @eventsBefore'),
  deleteForgottenCounts: statement('delete from limit_counts where expires_at < @now'),
  upsertDevice: statement(
    `insert into devices (id, user_agent, ip, created_at, last_seen_at) values (@id, @userAgent, @ip, @now, @now)
     on conflict (id) do update set user_agent = excluded.user_agent, ip = excluded.ip, last_seen_at = excluded.last_seen_at`,
  ),
  createAttempt: statement(
    `insert into attempts (id, client_id, device_id, actor_id, request, passed, steps, created_at, expires_at)
     values (@id, @clientId, @deviceId, @actorId, @request::jsonb, '[]', '[]', @createdAt, @expiresAt)`,
  ),
  /** Locked for the step: two steps of one attempt (two tabs, two nodes) run one after the other. */
  attemptForUpdate: statement('select client_id, device_id, actor_id, passed, steps, completed_at from attempts where id = @id for update'),
  claimAttempt: statement("update attempts set device_id = @deviceId where id = @id and device_id = ''"),
  updateAttempt: statement('update attempts set actor_id = @actorId, passed = @passed::jsonb, steps = @steps::jsonb where id = @id'),
  completeAttempt: statement('update attempts set completed_at = @now where id = @id and completed_at is null'),
  consentForUpdate: statement('select scopes from consents where actor_id = @actorId and client_id = @clientId for update'),
  saveConsent: statement(
    `insert into consents (actor_id, client_id, scopes, granted_at) values (@actorId, @clientId, @scopes::jsonb, @now)
     on conflict (actor_id, client_id) do update set scopes = excluded.scopes, granted_at = excluded.granted_at`,
  ),
  dropOlderFactor: statement('delete from factors where actor_id = @actorId and device_id = @deviceId and kind = @kind and passed_at <= @now'),
  recordFactor: statement(
    `insert into factors (actor_id, device_id, kind, client_id, passed_at) select @actorId, @deviceId, @kind, @clientId, @now
     where not exists (select 1 from factors where actor_id = @actorId and device_id = @deviceId and kind = @kind)`,
  ),
  createSession: statement(
    `insert into sessions (hash, id, actor_id, device_id, auth_time, amr, created_at, last_seen_at, expires_at)
     values (@hash, @id, @actorId, @deviceId, @authTime, @amr::jsonb, @now, @now, @expiresAt)`,
  ),
  touchSession: statement('update sessions set last_seen_at = @now where hash = @hash and ended_at is null'),
  endSession: statement('update sessions set ended_at = @now where hash = @hash and ended_at is null'),
  endSessionTokens: statement("update tokens set revoked_at = @now where sid = @sid and kind = 'internal_token' and revoked_at is null"),
  forgetSessionFactors: statement('delete from factors where (actor_id, device_id) in (select actor_id, device_id from sessions where hash = @hash)'),
  forgetDeviceFactors: statement('delete from factors where device_id = @deviceId'),
  revokeDeviceInternalTokens: statement(
    "update tokens set revoked_at = @now where kind = 'internal_token' and revoked_at is null and sid in (select id from sessions where device_id = @deviceId and ended_at is null)",
  ),
  endDeviceSessions: statement('update sessions set ended_at = @now where device_id = @deviceId and ended_at is null'),
  blockDevice: statement('update devices set blocked_at = @now where id = @id'),
  clientRevision: statement('select revision from clients where id = @id for update'),
  saveClient: statement(
    `insert into clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris, settings, seeded, previous_secret_hash, previous_secret_expires_at, created_at, updated_at)
     values (@id, @name, @secretHash, @redirectUris::jsonb, @postLogoutRedirectUris::jsonb, @settings::jsonb, @seeded, @previousSecretHash, @previousSecretExpiresAt, @now, @now)
     on conflict (id) do update set name = excluded.name, secret_hash = excluded.secret_hash, redirect_uris = excluded.redirect_uris,
       post_logout_redirect_uris = excluded.post_logout_redirect_uris, settings = excluded.settings, seeded = excluded.seeded,
       previous_secret_hash = case when @keepPrevious::boolean then clients.previous_secret_hash else excluded.previous_secret_hash end,
       previous_secret_expires_at = case when @keepPrevious::boolean then clients.previous_secret_expires_at else excluded.previous_secret_expires_at end,
       revision = clients.revision + 1, updated_at = excluded.updated_at`,
  ),
  deleteClient: statement('delete from clients where id = @id'),
  actorRevision: statement('select revision from actors where id = @id for update'),
  updateActor: statement(
    `update actors set nickname = case when @setNickname::boolean then @nickname else nickname end, name = case when @setName::boolean then @name else name end,
       scopes = coalesce(@scopes::jsonb, scopes),
       disabled_at = case when @disabled::boolean is null then disabled_at when @disabled::boolean then coalesce(disabled_at, @now) else null end,
       revision = revision + 1, updated_at = @now where id = @id`,
  ),
  emailsOf: statement('select address, verified_at from emails where actor_id = @actorId'),
  deleteEmails: statement('delete from emails where actor_id = @actorId'),
  insertEmail: statement('insert into emails (actor_id, address, verified_at, created_at) values (@actorId, @address, @verifiedAt, @now)'),
  revokeActorTokens: statement('update tokens set revoked_at = @now where actor_id = @actorId and revoked_at is null'),
  forgetActorFactors: statement('delete from factors where actor_id = @actorId'),
  deleteActor: statement('delete from actors where id = @id'),
  scopeHeld: statement('select 1 from actors where scopes @> jsonb_build_array(@scope::text) and disabled_at is null limit 1'),
  voidActorLinks: statement('delete from login_links where actor_id = @actorId and used_at is null'),
  changePassword: statement('update actors set password_hash = @hash, password_changed_at = @now, revision = revision + 1, updated_at = @now where id = @actorId'),
  endOtherInternalTokens: statement(
    "update tokens set revoked_at = @now where kind = 'internal_token' and revoked_at is null and sid in (select id from sessions where actor_id = @actorId and id <> @keep)",
  ),
  endOtherSessions: statement('update sessions set ended_at = @now where actor_id = @actorId and id <> @keep and ended_at is null'),
  endActorSessions: statement('update sessions set ended_at = @now where actor_id = @actorId and ended_at is null'),
  endActorInternalTokens: statement(
    "update tokens set revoked_at = @now where kind = 'internal_token' and revoked_at is null and sid in (select id from sessions where actor_id = @actorId)",
  ),
  deleteConsent: statement('delete from consents where actor_id = @actorId and client_id = @clientId'),
  revokeClientTokensOf: statement(
    "update tokens set revoked_at = @now where actor_id = @actorId and client_id = @clientId and kind in ('access_token', 'refresh_token') and revoked_at is null",
  ),
  insertActor: statement(
    `insert into actors (id, nickname, public_uuid, name, password_hash, password_changed_at, scopes, created_at, updated_at)
     values (@id, @nickname, @publicUuid, @name, @passwordHash, @passwordChangedAt, @scopes::jsonb, @now, @now)`,
  ),
  setPasswordHash: statement('update actors set password_hash = @hash, updated_at = @now where id = @actorId'),
  resetPassword: statement('update actors set password_hash = @hash, password_changed_at = @now, updated_at = @now where id = @actorId'),
  onboard: statement(
    `update actors set name = @name, password_hash = coalesce(password_hash, @passwordHash),
       password_changed_at = case when password_hash is null and @passwordHash::text is not null then @now else password_changed_at end,
       onboarded_at = @now, updated_at = @now where id = @actorId`,
  ),
  insertEvent: statement('insert into events (at, type, actor_id, client_id, by, ip, detail) values (@at, @type, @actorId, @clientId, @by, @ip, @detail::jsonb)'),
  setSetting: statement(
    `insert into settings (key, value, updated_at) values (@key, @value::jsonb, @now)
     on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at`,
  ),
  activeKeys: statement('select kid from signing_keys where retired_at is null for update'),
  retireKey: statement('update signing_keys set retired_at = @now, publish_until = @publishUntil where kid = @kid'),
  activateKey: statement(
    `insert into signing_keys (kid, alg, public_jwk, created_at) values (@kid, @alg, @publicJwk::jsonb, @now)
     on conflict (kid) do update set retired_at = null, publish_until = null`,
  ),
  useTotpStep: statement(
    'update authenticators set last_step = @step, last_used_at = @now where id = @authenticatorId and actor_id = @actorId and (last_step is null or last_step < @step)',
  ),
  useBackupCode: statement('update backup_codes set used_at = @now where actor_id = @actorId and hash = @hash and used_at is null'),
  /** Locks the actor's row: two first-factor set-ups at once queue here, and the second finds the first. */
  lockActor: statement('select 1 from actors where id = @actorId for update'),
  hasAuthenticator: statement('select 1 from authenticators where actor_id = @actorId limit 1'),
  credentialTaken: statement('select 1 from authenticators where credential_id = @credentialId'),
  authenticatorExists: statement('select 1 from authenticators where id = @id'),
  insertAuthenticator: statement(
    `insert into authenticators (id, actor_id, kind, name, secret, last_step, credential_id, public_key, counter, transports, created_at, last_used_at)
     values (@id, @actorId, @kind, @name, @secret, @lastStep, @credentialId, @publicKey, @counter, @transports::jsonb, @now, @now)`,
  ),
  deleteAuthenticator: statement('delete from authenticators where id = @id and actor_id = @actorId'),
  deleteBackupCodes: statement('delete from backup_codes where actor_id = @actorId'),
  insertBackupCode: statement('insert into backup_codes (actor_id, hash, created_at) values (@actorId, @hash, @now)'),
  insertChallenge: statement('insert into challenges (challenge, attempt_id, purpose, created_at, expires_at) values (@challenge, @attemptId, @purpose, @now, @expiresAt)'),
  dropUnusedChallenges: statement('delete from challenges where attempt_id = @attemptId and purpose = @purpose and used_at is null'),
  useChallenge: statement('update challenges set used_at = @now where challenge = @challenge and attempt_id = @attemptId and used_at is null and expires_at > @now'),
  useCredential: statement(
    'update authenticators set counter = @counter, last_used_at = @now where id = @authenticatorId and actor_id = @actorId and (counter < @counter or (counter = 0 and @counter = 0))',
  ),
  useLoginLink: statement(
    'update login_links set used_at = @now where hash = @hash and actor_id = @actorId and purpose = @purpose and used_at is null and expires_at > @now returning address',
  ),
  dropUnusedLoginLinks: statement('delete from login_links where attempt_id = @attemptId and purpose = @purpose and used_at is null'),
  insertLoginLink: statement(
    `insert into login_links (hash, attempt_id, actor_id, address, purpose, code_hash, created_at, expires_at)
     values (@hash, @attemptId, @actorId, @address, @purpose, @codeHash, @now, @expiresAt)`,
  ),
  verifyEmail: statement('update emails set verified_at = @now where actor_id = @actorId and address = @address'),
};

const changed = async (result: Promise<{ rowCount: number | null }>) => ((await result).rowCount ?? 0) > 0;
const found = async (result: Promise<{ rows: unknown[] }>) => (await result).rows.length > 0;

async function insertToken(tx: Tx, token: NewToken): Promise<void> {
  await S.insertToken(tx, tokenRow(token));
}

/** Consume a single-use token of `kind` (its row locked) and store what it buys; a second use revokes its grant. */
async function exchangeOnce(tx: Tx, kind: TokenKind, args: Exchange): Promise<ExchangeResult | 'used-revoked'> {
  const token = (await S.tokenForUpdate(tx, { hash: args.hash })).rows[0] as { kind: string; client_id: string; grant_id: string | null; consumed_at: number | null; revoked_at: number | null; expires_at: number } | undefined;
  if (!token || token.kind !== kind || token.client_id !== args.clientId) return 'invalid';
  if (token.consumed_at !== null) {
    // The grant's revocation is the point of noticing a replay: it is committed, not rolled back.
    if (token.grant_id) await S.revokeGrant(tx, { grantId: token.grant_id, now: args.now });
    return 'used-revoked';
  }
  if (token.revoked_at !== null || token.expires_at <= args.now) return 'invalid';
  await S.consume(tx, { hash: args.hash, now: args.now });
  for (const successor of args.tokens) await insertToken(tx, successor);
  return 'ok';
}

async function endSession(tx: Tx, args: { hash: string; sid: string; now: number }): Promise<void> {
  await S.endSession(tx, { hash: args.hash, now: args.now });
  await S.endSessionTokens(tx, { sid: args.sid, now: args.now });
}

async function replaceBackupCodes(tx: Tx, args: { actorId: string; hashes: string[]; now: number }): Promise<void> {
  await S.deleteBackupCodes(tx, { actorId: args.actorId });
  for (const hash of args.hashes) await S.insertBackupCode(tx, { actorId: args.actorId, hash, now: args.now });
}

function authenticatorRow(authenticator: NewAuthenticator, lastStep: number | null, now: number) {
  return {
    ...authenticator,
    secret: authenticator.secret ?? null,
    lastStep,
    credentialId: authenticator.credentialId ?? null,
    publicKey: authenticator.publicKey ?? null,
    counter: authenticator.counter ?? 0,
    transports: authenticator.transports ?? [],
    now,
  };
}

/** Everything an actor's disabling takes with it. */
async function signActorOut(tx: Tx, actorId: string, now: number): Promise<void> {
  await S.forgetActorFactors(tx, { actorId });
  await S.endActorInternalTokens(tx, { actorId, now });
  await S.endActorSessions(tx, { actorId, now });
}

const withStep = (steps: string[], ...added: string[]) => [...new Set([...steps, ...added])];

/** One step of a sign-in; anything but 'ok' is rolled back by the caller. */
async function advance(tx: Tx, change: AttemptChange): Promise<AdvanceResult> {
  const { attemptId: id, now } = change;
  if (change.create) await S.createAttempt(tx, change.create);
  const row = (await S.attemptForUpdate(tx, { id })).rows[0] as { client_id: string; device_id: string; actor_id: string | null; passed: Array<{ factor: string; at: number }>; steps: string[]; completed_at: number | null } | undefined;
  if (change.claim !== undefined && row && row.device_id !== change.claim) {
    if (row.device_id !== '') return 'refused';
    await S.claimAttempt(tx, { id, deviceId: change.claim });
  }
  if (!row || row.completed_at !== null) return 'finished';
  let actorId = row.actor_id;
  let passed = row.passed;
  let steps = row.steps;
  if (change.actorId !== undefined && change.actorId !== actorId) {
    if (actorId !== null) [passed, steps] = [[], []];
    actorId = change.actorId;
  }
  if (actorId !== null) {
    const { use, enrol } = change;
    if (enrol) {
      await S.lockActor(tx, { actorId });
      if (enrol.firstOnly && (await found(S.hasAuthenticator(tx, { actorId })))) return 'refused';
      const { authenticator } = enrol;
      if (authenticator.credentialId && (await found(S.credentialTaken(tx, { credentialId: authenticator.credentialId })))) return 'refused';
      await S.insertAuthenticator(tx, authenticatorRow({ ...authenticator, actorId }, null, now));
      if (enrol.backupCodes) await replaceBackupCodes(tx, { actorId, hashes: enrol.backupCodes, now });
    }
    if (use && 'totpStep' in use && !(await changed(S.useTotpStep(tx, { ...use.totpStep, actorId, now })))) return 'refused';
    if (use && 'backupCode' in use && !(await changed(S.useBackupCode(tx, { actorId, hash: use.backupCode, now })))) return 'refused';
    if (use && 'challenge' in use) {
      if (!(await changed(S.useChallenge(tx, { challenge: use.challenge, attemptId: id, now })))) return 'refused';
      if (use.webauthn && !(await changed(S.useCredential(tx, { ...use.webauthn, actorId, now })))) return 'refused';
    }
    if (use && ('loginLink' in use || 'verification' in use || 'smsCode' in use)) {
      const [hash, purpose] = 'loginLink' in use ? [use.loginLink, 'sign-in'] : 'verification' in use ? [use.verification, 'verify'] : [use.smsCode, 'sms'];
      const used = (await S.useLoginLink(tx, { actorId, hash, purpose, now })).rows[0] as { address: string } | undefined;
      if (!used) return 'refused';
      if (purpose !== 'sms') await S.verifyEmail(tx, { actorId, address: used.address, now });
      if (purpose === 'verify') steps = withStep(steps, 'email-verified');
    }
    if (change.passed) passed = [...passed, { factor: change.passed.factor, at: now }];
    if (change.consent) {
      steps = withStep(steps, 'consent');
      const before = (await S.consentForUpdate(tx, { actorId, clientId: row.client_id })).rows[0] as { scopes: string[] } | undefined;
      await S.saveConsent(tx, { actorId, clientId: row.client_id, scopes: [...new Set([...(before?.scopes ?? []), ...change.consent.scopes])], now });
    }
    if (change.rehash) await S.setPasswordHash(tx, { actorId, hash: change.rehash, now });
    if (change.newPassword) {
      await S.resetPassword(tx, { actorId, hash: change.newPassword, now });
      await S.endActorInternalTokens(tx, { actorId, now });
      await S.endActorSessions(tx, { actorId, now });
      steps = withStep(steps, 'password-set');
    }
    if (change.onboard) {
      await S.onboard(tx, { actorId, name: change.onboard.name, passwordHash: change.onboard.passwordHash ?? null, now });
      steps = withStep(steps, 'onboarded');
    }
  }
  if (change.challenge) {
    await S.dropUnusedChallenges(tx, { attemptId: id, purpose: change.challenge.purpose });
    await S.insertChallenge(tx, { ...change.challenge, attemptId: id, now });
  }
  if (change.linkSent) {
    const { link } = change.linkSent;
    if (link.purpose === 'sign-in') steps = withStep(steps, 'login-link', ...(change.linkSent.reset ? ['password-reset'] : []));
    await S.dropUnusedLoginLinks(tx, { attemptId: id, purpose: link.purpose });
    await S.insertLoginLink(tx, { ...link, now });
  }
  await S.updateAttempt(tx, { id, actorId, passed, steps });
  const finish = change.finish;
  if (finish) {
    await S.completeAttempt(tx, { id, now });
    if (finish !== 'denied') {
      await S.upsertDevice(tx, { ...finish.device, now });
      for (const factor of actorId === null ? [] : passed) {
        const pass = { actorId, deviceId: finish.device.id, kind: factor.factor, clientId: row.client_id, now: factor.at };
        await S.dropOlderFactor(tx, pass);
        await S.recordFactor(tx, pass);
      }
      if (finish.touch) await S.touchSession(tx, { hash: finish.touch, now });
      if (finish.end) await endSession(tx, { ...finish.end, now });
      if (finish.create) await S.createSession(tx, { ...finish.create, now });
      await insertToken(tx, finish.token);
    }
  }
  return 'ok';
}

/** The PostgreSQL store's commands, each one transaction. */
export function commands(db: PgDatabase) {
  const run = db.command.bind(db);
  return {
    insertToken: (token: NewToken) => run((tx) => insertToken(tx, token)),
    revokeToken: (args: { hash: string; now: number }) => run((tx) => S.revokeToken(tx, args)),
    revokeGrant: (args: { grantId: string; now: number }) => run((tx) => S.revokeGrant(tx, args)),
    /** A replay's grant revocation commits ('used-revoked' is not a refusal), then it reads 'used'. */
    exchange: async (kind: TokenKind, args: Exchange): Promise<ExchangeResult> => {
      const result = await run((tx) => exchangeOnce(tx, kind, args));
      return result === 'used-revoked' ? 'used' : result;
    },
    advanceAttempt: (change: AttemptChange) => run((tx) => advance(tx, change)),
    signOut: (args: { hash: string; sid: string; now: number }) =>
      run(async (tx) => {
        await S.forgetSessionFactors(tx, { hash: args.hash });
        await endSession(tx, args);
      }),
    signOutDevice: (args: { deviceId: string; now: number }) =>
      run(async (tx) => {
        await S.forgetDeviceFactors(tx, args);
        await S.revokeDeviceInternalTokens(tx, args);
        await S.endDeviceSessions(tx, args);
      }),
    blockDevice: (args: { id: string; now: number }) => run((tx) => S.blockDevice(tx, args)),
    saveClient: (args: { record: ClientRecord; now: number; expectRevision?: number | undefined }) =>
      run(async (tx): Promise<'ok' | 'stale' | 'missing'> => {
        const { record } = args;
        if (args.expectRevision !== undefined) {
          const current = (await S.clientRevision(tx, { id: record.id })).rows[0] as { revision: number } | undefined;
          if (!current) return 'missing';
          if (current.revision !== args.expectRevision) return 'stale';
        }
        await S.saveClient(tx, {
          id: record.id,
          name: record.name,
          secretHash: record.secretHash,
          redirectUris: record.redirectUris,
          postLogoutRedirectUris: record.postLogoutRedirectUris,
          settings: record.overrides,
          seeded: record.seeded,
          previousSecretHash: record.previousSecretHash ?? null,
          previousSecretExpiresAt: record.previousSecretExpiresAt ?? null,
          keepPrevious: record.previousSecretHash === undefined,
          now: args.now,
        });
        return 'ok';
      }),
    deleteClient: (id: string) => run((tx) => changed(S.deleteClient(tx, { id }))),
    updateActor: (args: { id: string; change: ActorChange; now: number; expectRevision?: number | undefined; keepScope?: string | undefined }) =>
      run(async (tx): Promise<'ok' | 'stale' | 'missing' | 'last'> => {
        const { id, change, now } = args;
        // Changes that must leave someone holding a scope run one at a time: two demotions at once cannot both take the last holder.
        if (args.keepScope) await db.lock(tx, LOCKS.scopeGuard);
        const current = (await S.actorRevision(tx, { id })).rows[0] as { revision: number } | undefined;
        if (!current) return 'missing';
        if (args.expectRevision !== undefined && current.revision !== args.expectRevision) return 'stale';
        await S.updateActor(tx, {
          id,
          now,
          setNickname: change.nickname !== undefined,
          nickname: change.nickname ?? null,
          setName: change.name !== undefined,
          name: change.name ?? null,
          scopes: change.scopes ?? null,
          disabled: change.disabled ?? null,
        });
        if (change.email !== undefined) {
          const before = (await S.emailsOf(tx, { actorId: id })).rows as Array<{ address: string; verified_at: number | null }>;
          await S.deleteEmails(tx, { actorId: id });
          if (change.email !== null) {
            const kept = before.find((e) => e.address === change.email);
            await S.insertEmail(tx, { actorId: id, address: change.email, verifiedAt: kept?.verified_at ?? null, now });
          }
        }
        if (change.disabled) {
          await signActorOut(tx, id, now);
          await S.revokeActorTokens(tx, { actorId: id, now });
          await S.voidActorLinks(tx, { actorId: id });
        }
        return args.keepScope && !(await found(S.scopeHeld(tx, { scope: args.keepScope }))) ? 'last' : 'ok';
      }),
    deleteActor: (args: { id: string; keepScope?: string | undefined }) =>
      run(async (tx): Promise<boolean | 'last'> => {
        if (args.keepScope) await db.lock(tx, LOCKS.scopeGuard);
        if (!(await changed(S.deleteActor(tx, { id: args.id })))) return false;
        return args.keepScope && !(await found(S.scopeHeld(tx, { scope: args.keepScope }))) ? 'last' : true;
      }),
    endSessionsOf: (args: { actorId: string; now: number }) => run((tx) => signActorOut(tx, args.actorId, args.now)),
    setPassword: (args: { actorId: string; hash: string; now: number; keep: string }) =>
      run(async (tx) => {
        await S.changePassword(tx, args);
        await S.endOtherInternalTokens(tx, args);
        await S.endOtherSessions(tx, args);
      }),
    withdrawConsent: (args: { actorId: string; clientId: string; now: number }) =>
      run(async (tx) => {
        const had = await changed(S.deleteConsent(tx, args));
        await S.revokeClientTokensOf(tx, args);
        // Not a refusal: the revocation holds whether or not there was a consent.
        return had ? true : ('none' as const);
      }).then((result) => result === true),
    removeAuthenticator: (args: { actorId: string; id: string }) =>
      run(async (tx) => {
        await S.lockActor(tx, { actorId: args.actorId });
        if (!(await changed(S.deleteAuthenticator(tx, args)))) return false;
        if (!(await found(S.hasAuthenticator(tx, { actorId: args.actorId })))) await S.deleteBackupCodes(tx, { actorId: args.actorId });
        return true;
      }),
    addAuthenticator: (args: { authenticator: NewAuthenticator; backupCodes?: string[] | undefined; lastStep?: number | undefined; now: number }) =>
      run(async (tx) => {
        const { authenticator, now } = args;
        await S.lockActor(tx, { actorId: authenticator.actorId });
        if (authenticator.credentialId && (await found(S.credentialTaken(tx, { credentialId: authenticator.credentialId })))) return false;
        if (await found(S.authenticatorExists(tx, { id: authenticator.id }))) return false;
        await S.insertAuthenticator(tx, authenticatorRow(authenticator, args.lastStep ?? null, now));
        if (args.backupCodes) await replaceBackupCodes(tx, { actorId: authenticator.actorId, hashes: args.backupCodes, now });
        return true;
      }),
    replaceBackupCodes: (args: { actorId: string; hashes: string[]; now: number }) => run((tx) => replaceBackupCodes(tx, args)),
    appendEvent: (event: NewEvent) => run((tx) => S.insertEvent(tx, event)),
    createActor: (args: { id: string; publicUuid: string; nickname: string | null; name: string | null; passwordHash: string | null; scopes: string[]; email: string | null; emailVerified: boolean; now: number }) =>
      run(async (tx) => {
        await S.insertActor(tx, { ...args, passwordChangedAt: args.passwordHash ? args.now : null });
        if (args.email) await S.insertEmail(tx, { actorId: args.id, address: args.email, verifiedAt: args.emailVerified ? args.now : null, now: args.now });
      }),
    setSetting: (args: { key: string; value: unknown; now: number }) => run((tx) => S.setSetting(tx, { key: args.key, value: JSON.stringify(args.value), now: args.now })),
    activateKeys: (args: { keys: Array<{ kid: string; alg: string; publicJwk: Record<string, unknown> }>; now: number; publishUntil: number }) =>
      run(async (tx) => {
        const active = new Set(args.keys.map((key) => key.kid));
        for (const { kid } of (await S.activeKeys(tx)).rows as Array<{ kid: string }>) if (!active.has(kid)) await S.retireKey(tx, { kid, now: args.now, publishUntil: args.publishUntil });
        for (const key of args.keys) await S.activateKey(tx, { ...key, now: args.now });
      }, 'signing_keys'),
    deleteExpired: (args: Sweep) =>
      run(async (tx) => {
        await S.deleteExpiredAttempts(tx, { now: args.now });
        await S.deleteExpiredSessions(tx, { before: args.before });
        await S.deleteForgottenDevices(tx, { devicesBefore: args.devicesBefore });
        await S.deleteOldEvents(tx, { eventsBefore: args.eventsBefore });
        await S.deleteForgottenCounts(tx, { now: args.now });
        return (await S.deleteExpired(tx, { before: args.before })).rowCount ?? 0;
      }),
  };
}

export type Commands = ReturnType<typeof commands>;
