/**
 * The store contract: what every Store implementation must do (src/storage/store.ts).
 * `storeContract` runs it against a factory; test/storage/sqlite.test.ts runs it on SQLite
 * files, and a networked implementation runs the same suite.
 */
import { randomUUID } from 'node:crypto';
import type { Test } from 'tap';
import type { ClientSettings } from '../../src/config/schema.js';
import type { NewToken } from '../../src/model.js';
import type { Store } from '../../src/storage/store.js';
import type { FactorKind } from '../../src/signin/factors.js';

/** A fresh, empty, migrated store; `reopen` closes it and opens the same data again. */
export interface StoreFactory {
  open(t: Test, clientDefaults: ClientSettings, clock: () => number): Promise<{ store: Store; reopen(): Promise<Store> }>;
}

const T0 = 1_800_000_000;

function token(overrides: Partial<NewToken> & Pick<NewToken, 'kind'>): NewToken {
  const base = { id: randomUUID(), hash: randomUUID(), clientId: 'web', actorId: null, grantId: null, grantType: 'authorization_code', scope: 'openid', format: 'opaque' as const, sub: 'sub-1', sid: null, createdAt: T0, expiresAt: T0 + 600 };
  return { ...base, ...overrides } as NewToken;
}

export function storeContract(t: Test, factory: StoreFactory, clientDefaults: ClientSettings) {
  let now = T0;
  const clock = () => now;
  const open = async (t: Test) => {
    now = T0;
    const opened = await factory.open(t, clientDefaults, clock);
    await opened.store.clients.save({ id: 'web', name: 'Web', secretHash: null, redirectUris: ['https://web.example/cb'], postLogoutRedirectUris: [], overrides: { client_type: 'confidential' }, seeded: false });
    return opened;
  };

  t.test('clients: save, find (merged over the defaults), list, change at once, delete', async (t) => {
    const { store } = await open(t);
    const web = (await store.clients.find('web'))!;
    t.equal(web.type, 'confidential');
    t.equal(web.settings.access_token_expires_in, clientDefaults.access_token_expires_in, 'inherits the defaults');
    t.same(web.redirectUris, ['https://web.example/cb']);
    t.equal(web.createdAt, T0, 'times come from the clock given, not the database');
    t.equal(await store.clients.find('missing'), undefined);
    now += 10;
    await store.clients.save({ ...web, name: 'Web 2', overrides: { client_type: 'public' } });
    const changed = (await store.clients.find('web'))!;
    t.equal(changed.name, 'Web 2', 'a save is seen at once, cache or not');
    t.equal(changed.type, 'public');
    t.equal(changed.updatedAt, T0 + 10);
    t.same((await store.clients.list()).map((c) => c.id), ['web']);
    await store.clients.save({ ...web, id: 'api', name: 'API' });
    t.same((await store.clients.list()).map((c) => [c.id, c.name]), [['api', 'API'], ['web', 'Web 2']], 'the list sees a save at once, cache or not');
    await store.clients.delete('web');
    t.equal(await store.clients.find('web'), undefined, 'a delete is seen at once');
    t.same((await store.clients.list()).map((c) => c.id), ['api'], 'and so does the list');
  });

  t.test('actors: create, find by id, nickname or email (normalised), taken identifiers refused, scopes', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'Alice', email: 'Alice@Example.com', passwordHash: 'hash', scopes: ['staff'], emailVerified: true });
    t.equal(alice.nickname, 'alice');
    t.same(alice.emails, [{ address: 'alice@example.com', verifiedAt: T0 }]);
    t.same(await store.actors.find(alice.id), alice);
    t.equal((await store.actors.findByIdentifier('ALICE'))?.id, alice.id);
    t.equal((await store.actors.findByIdentifier('alice@example.com'))?.id, alice.id);
    t.equal(await store.actors.findByIdentifier('nobody'), undefined);
    await t.rejects(store.actors.create({ nickname: 'alice' }), 'a taken nickname');
    await t.rejects(store.actors.create({ nickname: 'other', email: 'alice@example.com' }), 'a taken email');
    t.equal(await store.actors.findByIdentifier('other'), undefined, 'a refused actor is not half-written');
    t.equal(await store.actors.hasScope('staff'), true);
    t.equal(await store.actors.hasScope('masks:manage'), false);
    t.equal((await store.actors.list()).length, 1);
  });

  t.test('tokens: each kind round-trips with what it carries; live() says what is usable', async (t) => {
    const { store } = await open(t);
    const code = token({ kind: 'authorization_code', sid: 'sid-1', binding: { redirect_uri: 'https://web.example/cb', code_challenge: null, nonce: 'n', max_age: null, auth_time: T0, amr: ['pwd'] } });
    const refresh = token({ kind: 'refresh_token', grantId: 'g1', facts: { auth_time: T0, amr: ['pwd'], grant_expires_at: T0 + 1000 } });
    const access = token({ kind: 'access_token', grantId: 'g1', format: 'jwt' });
    for (const item of [code, refresh, access]) await store.tokens.insert(item);
    t.match(await store.tokens.findByHash(code.hash), { ...code, consumedAt: null, revokedAt: null });
    t.match(await store.tokens.findByHash(refresh.hash), { kind: 'refresh_token', facts: refresh.kind === 'refresh_token' ? refresh.facts : {} });
    t.match(await store.tokens.findByHash(access.hash), { kind: 'access_token', format: 'jwt', sub: 'sub-1' });
    t.equal(await store.tokens.findByHash('nope'), undefined);
    const { sha256 } = await import('../../src/security/secrets.js');
    const value = 'the-token-value';
    await store.tokens.insert(token({ kind: 'access_token', hash: sha256(value) }));
    t.ok(await store.tokens.live(value, ['access_token'], T0));
    t.equal(await store.tokens.live(value, ['refresh_token'], T0), undefined, 'another kind');
    t.equal(await store.tokens.live(value, ['access_token'], T0 + 600), undefined, 'expired');
    await store.tokens.revoke(sha256(value), T0 + 1);
    t.equal(await store.tokens.live(value, ['access_token'], T0), undefined, 'a revocation is seen at once, cache or not');
    await store.tokens.revokeGrant('g1', T0 + 2);
    t.equal((await store.tokens.findByHash(refresh.hash))?.revokedAt, T0 + 2);
    t.equal((await store.tokens.findByHash(access.hash))?.revokedAt, T0 + 2);
  });

  t.test('codes redeem once: twenty at once, one wins; a replay revokes the grant', async (t) => {
    const { store } = await open(t);
    const code = token({ kind: 'authorization_code', grantId: 'g', binding: { redirect_uri: 'x', code_challenge: null, nonce: null, max_age: null, auth_time: T0, amr: ['pwd'] } });
    await store.tokens.insert(code);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, () => store.tokens.redeemCode({ hash: code.hash, clientId: 'web', now: T0 + 1, tokens: [token({ kind: 'access_token', grantId: 'g' })] })),
    );
    t.equal(outcomes.filter((o) => o === 'ok').length, 1);
    t.equal(outcomes.filter((o) => o === 'used').length, 19);
    t.equal((await store.tokens.findByHash(code.hash))?.consumedAt, T0 + 1);
    t.equal(await store.tokens.redeemCode({ hash: 'unknown', clientId: 'web', now: T0, tokens: [] }), 'invalid');
    const other = token({ kind: 'authorization_code', binding: { redirect_uri: 'x', code_challenge: null, nonce: null, max_age: null, auth_time: T0, amr: [] } });
    await store.tokens.insert(other);
    t.equal(await store.tokens.redeemCode({ hash: other.hash, clientId: 'someone-else', now: T0, tokens: [] }), 'invalid', "another client's code");
    t.equal(await store.tokens.redeemCode({ hash: other.hash, clientId: 'web', now: T0 + 600, tokens: [] }), 'invalid', 'expired');
    const rt = token({ kind: 'refresh_token', grantId: 'r', facts: { auth_time: T0, amr: [], grant_expires_at: T0 + 1000 } });
    await store.tokens.insert(rt);
    const next = token({ kind: 'refresh_token', grantId: 'r', facts: { auth_time: T0, amr: [], grant_expires_at: T0 + 1000 } });
    t.equal(await store.tokens.rotateRefreshToken({ hash: rt.hash, clientId: 'web', now: T0 + 2, tokens: [next] }), 'ok');
    t.equal(await store.tokens.rotateRefreshToken({ hash: rt.hash, clientId: 'web', now: T0 + 3, tokens: [] }), 'used');
    t.equal((await store.tokens.findByHash(next.hash))?.revokedAt, T0 + 3, 'the replay revoked the newest refresh token of the grant');
  });

  t.test('sign-in attempts: one command per step; the actor binds; factors append; consent merges; finish once', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'alice' });
    const bob = await store.actors.create({ nickname: 'bob' });
    const request = { clientId: 'web', redirectUri: 'https://web.example/cb', scope: ['openid', 'email'], prompt: [] };
    const device = { id: 'dev-1', userAgent: 'ua', ip: '127.0.0.1' };
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'a1', now: T0, create: { id: 'a1', clientId: 'web', deviceId: device.id, actorId: null, request, createdAt: T0, expiresAt: T0 + 3600 } }), 'ok');
    t.equal(await store.signIns.device(device.id), undefined, 'starting an attempt writes no device');
    t.match(await store.signIns.attempt('a1'), { id: 'a1', actorId: null, request, passed: [], steps: [], completedAt: null });
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 1, actorId: bob.id, passed: { factor: 'password', device } }), 'ok');
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 2, actorId: bob.id, consent: { scopes: ['openid'] } }), 'ok');
    t.match(await store.signIns.attempt('a1'), { actorId: bob.id, passed: [{ factor: 'password', at: T0 + 1 }], steps: ['consent'] });
    t.equal(await store.signIns.device(device.id), undefined, 'a factor passed in a sign-in not yet finished records no device');
    t.equal(await store.signIns.lastFactor(bob.id, device.id, 'password', 0), undefined, 'nor counts on the device yet');
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 3, actorId: alice.id, passed: { factor: 'password', device } }), 'ok');
    t.match(await store.signIns.attempt('a1'), { actorId: alice.id, passed: [{ factor: 'password', at: T0 + 3 }], steps: [] }, 'another actor starts afresh');
    // Two steps at once (two tabs): neither factor is lost.
    await Promise.all([
      store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 4, actorId: alice.id, passed: { factor: 'password', device } }),
      store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 5, actorId: alice.id, consent: { scopes: ['openid'] } }),
    ]);
    t.equal((await store.signIns.attempt('a1'))!.passed.length, 2);
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 6, actorId: alice.id, consent: { scopes: ['email'] } }), 'ok');
    t.same((await store.signIns.consentedScopes(alice.id, 'web')).sort(), ['email', 'openid'], 'consent joins what was granted before');
    const code = token({ kind: 'authorization_code', actorId: alice.id, binding: { redirect_uri: 'x', code_challenge: null, nonce: null, max_age: null, auth_time: T0, amr: ['pwd'] } });
    const session = { hash: 'session-hash', id: 'sid-9', actorId: alice.id, deviceId: device.id, authTime: T0 + 3, amr: ['pwd'], expiresAt: T0 + 86_400 };
    const finish = { device, create: session, token: code };
    const results = await Promise.all([store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 7, finish }), store.signIns.advanceAttempt({ attemptId: 'a1', now: T0 + 7, finish })]);
    t.same(results.sort(), ['finished', 'ok'], 'an attempt finishes once');
    t.equal((await store.signIns.attempt('a1'))?.completedAt, T0 + 7);
    t.ok(await store.signIns.device(device.id), 'a finished sign-in records the device');
    t.same(await store.signIns.lastFactor(alice.id, device.id, 'password', 0), { passedAt: T0 + 4, clientId: 'web' }, 'and the factors it passed, each when it was passed');
    t.equal(await store.signIns.lastFactor(bob.id, device.id, 'password', 0), undefined, 'not those of the actor it no longer belongs to');
    // Another sign-in on the device: the newest pass is what counts, and for which client.
    const again = (id: string, at: number, clientId: string, factor: FactorKind = 'password') =>
      store.signIns.advanceAttempt({ attemptId: id, now: at, create: { id, clientId, deviceId: device.id, actorId: alice.id, request, createdAt: at, expiresAt: at + 3600 }, passed: { factor, device }, finish: { device, token: token({ kind: 'internal_token', actorId: alice.id }) } });
    await store.clients.save({ id: 'other', name: 'Other', secretHash: null, redirectUris: ['https://other.example/cb'], postLogoutRedirectUris: [], overrides: { client_type: 'confidential' }, seeded: false });
    t.equal(await again('a3', T0 + 20, 'other'), 'ok');
    t.same(await store.signIns.lastFactor(alice.id, device.id, 'password', 0), { passedAt: T0 + 20, clientId: 'other' });
    t.equal(await again('a4', T0 + 30, 'web'), 'ok');
    t.same(await store.signIns.lastFactor(alice.id, device.id, 'password', 0), { passedAt: T0 + 30, clientId: 'web' });
    t.equal(await store.signIns.lastFactor(alice.id, device.id, 'password', T0 + 30), undefined, 'nothing newer than the newest');
    t.same(await store.signIns.lastFactor(alice.id, device.id, ['login_link', 'password'], 0), { passedAt: T0 + 30, clientId: 'web' }, 'the newest of several kinds');
    t.equal(await store.signIns.lastFactor(alice.id, device.id, ['login_link', 'passkey'], 0), undefined, 'none of those kinds');
    t.equal(await again('a5', T0 + 40, 'other', 'login_link'), 'ok');
    t.same(await store.signIns.lastFactor(alice.id, device.id, ['password', 'login_link', 'passkey'], 0), { passedAt: T0 + 40, clientId: 'other' }, 'the newest of several kinds passed, whichever it is');
    t.same(await store.signIns.lastFactor(alice.id, device.id, ['passkey', 'password'], 0), { passedAt: T0 + 30, clientId: 'web' }, 'only the kinds asked for');
    t.same(await store.signIns.lastFactor(alice.id, device.id, ['password', 'login_link'], T0 + 35), { passedAt: T0 + 40, clientId: 'other' }, 'after `since`');
    t.equal(await store.signIns.lastFactor(alice.id, device.id, ['password', 'login_link'], T0 + 40), undefined, 'nothing of them newer than the newest');
    t.match(await store.signIns.session('session-hash'), { id: 'sid-9', actorId: alice.id, authTime: T0 + 3, amr: ['pwd'], endedAt: null });
    t.ok(await store.tokens.findByHash(code.hash), 'what the client gets is stored with it');
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'unknown', now: T0, actorId: alice.id }), 'finished');
  });

  t.test('second factors: set up once while none exists, a TOTP step and a backup code each used once, nothing written on a refusal', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'alice' });
    const device = { id: 'dev-2f', userAgent: 'ua', ip: '127.0.0.1' };
    const request = { clientId: 'web', redirectUri: 'https://web.example/cb', scope: ['openid'], prompt: [] };
    const start = (id: string) => store.signIns.advanceAttempt({ attemptId: id, now: T0, create: { id, clientId: 'web', deviceId: device.id, actorId: alice.id, request, createdAt: T0, expiresAt: T0 + 3600 } });
    t.equal(await start('f1'), 'ok');
    t.equal(await start('f2'), 'ok');
    const authenticator = (id: string) => ({ id, actorId: alice.id, kind: 'totp' as const, name: `app ${id}`, secret: `sealed-${id}` });
    const enrol = (attemptId: string, id: string, step: number) =>
      store.signIns.advanceAttempt({ attemptId, now: T0 + 1, actorId: alice.id, enrol: { authenticator: authenticator(id), backupCodes: [`${id}-b1`, `${id}-b2`], firstOnly: true }, use: { totpStep: { authenticatorId: id, step } }, passed: { factor: 'totp', device } });
    const [first, second] = await Promise.all([enrol('f1', 'auth-1', 100), enrol('f2', 'auth-2', 100)]);
    t.same([first, second].sort(), ['ok', 'refused'], 'two first setups at once: one is taken');
    const kept = await store.factors.authenticators(alice.id);
    t.equal(kept.length, 1);
    const winner = kept[0]!.id;
    const loser = winner === 'auth-1' ? 'f2' : 'f1';
    t.match(kept[0], { actorId: alice.id, kind: 'totp', name: `app ${winner}`, secret: `sealed-${winner}`, lastStep: 100 });
    t.same((await store.signIns.attempt(loser))!.passed, [], 'the refused step wrote nothing to its attempt');
    t.equal(await store.factors.backupCodesLeft(alice.id), 2);

    const use = (step: number) => store.signIns.advanceAttempt({ attemptId: loser, now: T0 + 2, actorId: alice.id, use: { totpStep: { authenticatorId: winner, step } }, passed: { factor: 'totp', device } });
    t.equal(await use(100), 'refused', 'the step used at setup');
    t.equal(await use(99), 'refused', 'an earlier step');
    const later = await Promise.all([use(101), use(101)]);
    t.same(later.sort(), ['ok', 'refused'], 'a later step once, even at the same moment');
    t.equal((await store.factors.authenticators(alice.id))[0]!.lastStep, 101);

    t.equal(await start('f3'), 'ok');
    const backup = (hash: string) => store.signIns.advanceAttempt({ attemptId: 'f3', now: T0 + 3, actorId: alice.id, use: { backupCode: hash }, passed: { factor: 'backup_code', device } });
    t.equal(await backup('unknown'), 'refused');
    const codes = await Promise.all([backup(`${winner}-b1`), backup(`${winner}-b1`)]);
    t.same(codes.sort(), ['ok', 'refused'], 'a backup code once');
    t.equal(await store.factors.backupCodesLeft(alice.id), 1);
    t.same((await store.signIns.attempt('f3'))!.passed.map((p) => p.factor), ['backup_code']);
    t.equal(await store.signIns.lastFactor(alice.id, device.id, 'backup_code', 0), undefined, 'remembered on the device only once the sign-in finishes');

    t.equal(await start('f4'), 'ok');
    const another = await store.signIns.advanceAttempt({ attemptId: 'f4', now: T0 + 4, actorId: alice.id, enrol: { authenticator: authenticator('auth-3'), backupCodes: ['new-1'], firstOnly: false } });
    t.equal(another, 'ok', 'a second authenticator when the caller vouches for a passed factor');
    t.equal((await store.factors.authenticators(alice.id)).length, 2);
    t.equal(await store.factors.backupCodesLeft(alice.id), 1, 'a new set of backup codes replaces the old one');
    t.equal(await backup(`${winner}-b2`), 'refused', 'the old set is void');
  });

  t.test('WebAuthn: a challenge is used once, by its attempt; a signature counter must grow unless it stays at zero', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'alice' });
    const request = { clientId: 'web', redirectUri: 'https://web.example/cb', scope: ['openid'], prompt: [] };
    const start = (id: string) => store.signIns.advanceAttempt({ attemptId: id, now: T0, create: { id, clientId: 'web', deviceId: 'dev', actorId: alice.id, request, createdAt: T0, expiresAt: T0 + 3600 } });
    await start('w1');
    await start('w2');
    const key = { id: 'key-1', actorId: alice.id, kind: 'webauthn' as const, name: 'Key', credentialId: 'cred-1', publicKey: 'pk', counter: 5, transports: ['usb'] };
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'w1', now: T0, actorId: alice.id, enrol: { authenticator: key, firstOnly: true } }), 'ok');
    t.match(await store.factors.byCredentialId('cred-1'), { id: 'key-1', actorId: alice.id, counter: 5, transports: ['usb'], secret: null });
    const challenge = (attemptId: string, value: string) => store.signIns.advanceAttempt({ attemptId, now: T0, challenge: { challenge: value, purpose: 'authenticate', expiresAt: T0 + 300 } });
    const use = (attemptId: string, value: string, counter: number, now = T0 + 1) =>
      store.signIns.advanceAttempt({ attemptId, now, actorId: alice.id, use: { challenge: value, webauthn: { authenticatorId: 'key-1', counter } } });
    t.equal(await challenge('w1', 'c1'), 'ok');
    t.match(await store.signIns.challenge('c1'), { attemptId: 'w1', purpose: 'authenticate', usedAt: null });
    t.equal(await use('w2', 'c1', 6), 'refused', 'another attempt cannot use it');
    t.equal(await use('w1', 'c1', 5), 'refused', 'a counter that did not grow');
    t.equal(await use('w1', 'c1', 6), 'ok');
    t.equal(await use('w1', 'c1', 7), 'refused', 'a challenge once');
    t.equal(await challenge('w1', 'c2'), 'ok');
    t.equal(await use('w1', 'c2', 3), 'refused', 'a counter gone backwards (a cloned key)');
    t.equal(await use('w1', 'c2', 9, T0 + 400), 'refused', 'an expired challenge');
    t.equal((await store.factors.byCredentialId('cred-1'))!.counter, 6);
    const bob = await store.actors.create({ nickname: 'bob' });
    await store.signIns.advanceAttempt({ attemptId: 'w3', now: T0, create: { id: 'w3', clientId: 'web', deviceId: 'dev', actorId: bob.id, request, createdAt: T0, expiresAt: T0 + 3600 } });
    const stolen = { ...key, id: 'key-2', actorId: bob.id };
    t.equal(await store.signIns.advanceAttempt({ attemptId: 'w3', now: T0, actorId: bob.id, enrol: { authenticator: stolen, firstOnly: true } }), 'refused', "someone else's credential id is never taken");
    t.equal((await store.factors.authenticators(bob.id)).length, 0);
  });

  t.test('sessions end with the internal cookies issued in them; devices can be blocked', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'alice' });
    const device = { id: 'dev-2', userAgent: 'ua', ip: '::1' };
    await store.signIns.advanceAttempt({ attemptId: 'a2', now: T0, create: { id: 'a2', clientId: 'web', deviceId: device.id, actorId: alice.id, request: { clientId: 'web', redirectUri: '/', scope: [], prompt: [] }, createdAt: T0, expiresAt: T0 + 60 } });
    const internal = token({ kind: 'internal_token', actorId: alice.id, sid: 'sid-2' });
    const other = token({ kind: 'internal_token', actorId: alice.id, sid: 'sid-3' });
    await store.tokens.insert(other);
    await store.signIns.advanceAttempt({ attemptId: 'a2', now: T0, finish: { device, create: { hash: 'h2', id: 'sid-2', actorId: alice.id, deviceId: device.id, authTime: T0, amr: ['pwd'], expiresAt: T0 + 100 }, token: internal } });
    await store.signIns.endSession('h2', 'sid-2', T0 + 5);
    t.equal((await store.signIns.session('h2'))?.endedAt, T0 + 5);
    t.equal((await store.tokens.findByHash(internal.hash))?.revokedAt, T0 + 5, "the session's internal cookie is dead");
    t.equal((await store.tokens.findByHash(other.hash))?.revokedAt, null, "another session's is not");
    await store.signIns.blockDevice(device.id, T0 + 6);
    t.equal((await store.signIns.device(device.id))?.blockedAt, T0 + 6);
  });

  t.test('clients: a save naming a stale revision writes nothing; secret overlap is kept', async (t) => {
    const { store } = await open(t);
    const web = (await store.clients.find('web'))!;
    t.equal(web.revision, 1);
    const saved = await store.clients.save({ ...web, name: 'Web 2', previousSecretHash: 'old', previousSecretExpiresAt: T0 + 60 }, 1);
    t.equal(saved.revision, 2, 'every change raises the revision');
    t.match(saved, { previousSecretHash: 'old', previousSecretExpiresAt: T0 + 60 });
    const { previousSecretHash: _h, previousSecretExpiresAt: _e, ...unsaid } = saved;
    t.match(await store.clients.save({ ...unsaid, name: 'Web 2' }), { previousSecretHash: 'old', previousSecretExpiresAt: T0 + 60, revision: 3 }, 'a record that does not say keeps the overlap');
    await t.rejects(store.clients.save({ ...web, name: 'Lost update' }, 1), { name: 'StaleError' });
    t.equal((await store.clients.find('web'))!.name, 'Web 2', 'the stale write changed nothing');
    t.equal((await store.clients.find('web'))!.revision, 3);
    await t.rejects(store.clients.save({ ...web, id: 'missing' }, 1), { name: 'StaleError' }, 'a guarded save of a missing client creates nothing');
    t.equal(await store.clients.find('missing'), undefined);
    t.equal(await store.clients.delete('web'), true);
    t.equal(await store.clients.delete('web'), false);
  });

  t.test('actors: search and page, change, disable (signed out, tokens revoked), password change ends other sessions, delete', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'alice', email: 'alice@example.com', name: 'Alice Liddell', emailVerified: true, scopes: ['masks:manage'] });
    now += 1;
    const bob = await store.actors.create({ nickname: 'bob', email: 'bob@example.org' });
    now += 1;
    await store.actors.create({ nickname: 'under_score' });
    t.same((await store.actors.search({ limit: 10, offset: 0 })).total, 3);
    t.same((await store.actors.search({ text: 'LIDDELL', limit: 10, offset: 0 })).actors.map((a) => a.id), [alice.id], 'by name, any case');
    t.same((await store.actors.search({ text: 'example.org', limit: 10, offset: 0 })).actors.map((a) => a.id), [bob.id], 'by email address');
    t.same((await store.actors.search({ text: '_', limit: 10, offset: 0 })).actors.map((a) => a.nickname), ['under_score'], 'LIKE wildcards are matched as typed');
    const page = await store.actors.search({ limit: 1, offset: 1 });
    t.same([page.total, page.actors.map((a) => a.id)], [3, [bob.id]], 'paging');
    t.equal(await store.actors.countWithScope('masks:manage'), 1);
    await t.rejects(store.actors.update(alice.id, { scopes: [] }, now, { keepScope: 'masks:manage' }), { name: 'LastHolderError' }, 'the last holder of a kept scope keeps it');
    await t.rejects(store.actors.update(alice.id, { disabled: true }, now, { keepScope: 'masks:manage' }), { name: 'LastHolderError' }, 'and is not disabled');
    await t.rejects(store.actors.delete(alice.id, { keepScope: 'masks:manage' }), { name: 'LastHolderError' }, 'nor deleted');
    t.match(await store.actors.find(alice.id), { scopes: ['masks:manage'], disabledAt: null, revision: 1 }, 'nothing written');
    t.equal((await store.actors.update(bob.id, { name: 'Bob' }, now, { keepScope: 'masks:manage' }))!.name, 'Bob', 'other changes go through');

    now += 5;
    const changed = (await store.actors.update(alice.id, { name: 'Alice', scopes: ['masks:manage', 'staff'], email: 'alice@example.com' }, now, { expectRevision: alice.revision }))!;
    t.match(changed, { name: 'Alice', scopes: ['masks:manage', 'staff'], revision: 2, updatedAt: now, nickname: 'alice' });
    t.same(changed.emails, [{ address: 'alice@example.com', verifiedAt: T0 }], 'the same address stays verified');
    await t.rejects(store.actors.update(alice.id, { name: 'Lost' }, now, { expectRevision: 1 }), { name: 'StaleError' });
    t.equal((await store.actors.find(alice.id))!.name, 'Alice');
    const moved = (await store.actors.update(alice.id, { email: 'a@example.net', nickname: null }, now))!;
    t.same([moved.nickname, moved.emails], [null, [{ address: 'a@example.net', verifiedAt: null }]], 'a new address is unverified; a nickname can go');
    t.equal(await store.actors.update('missing', { name: 'x' }, now), undefined);
    await t.rejects(store.actors.update(bob.id, { email: 'a@example.net' }, now), "another actor's address is refused");

    const device = { id: 'dev-d', userAgent: 'ua', ip: '::1' };
    const signIn = async (id: string, sid: string) => {
      const internal = token({ kind: 'internal_token', actorId: bob.id, sid });
      await store.signIns.advanceAttempt({ attemptId: id, now, create: { id, clientId: 'web', deviceId: device.id, actorId: bob.id, request: { clientId: 'web', redirectUri: '/', scope: [], prompt: [] }, createdAt: now, expiresAt: now + 60 }, passed: { factor: 'password', device }, finish: { device, create: { hash: `h-${sid}`, id: sid, actorId: bob.id, deviceId: device.id, authTime: now, amr: ['pwd'], expiresAt: now + 100 }, token: internal } });
      return internal;
    };
    const first = await signIn('b1', 'sid-b1');
    const second = await signIn('b2', 'sid-b2');
    t.same((await store.signIns.sessionsOf(bob.id, now)).map((s) => [s.id, s.device?.userAgent]).sort(), [['sid-b1', 'ua'], ['sid-b2', 'ua']], "an actor's live sessions, with their device");
    t.equal((await store.signIns.sessionById('sid-b1'))?.hash, 'h-sid-b1');
    await store.actors.setPassword(bob.id, 'new-hash', now + 1, 'sid-b2');
    t.equal((await store.actors.find(bob.id))!.passwordHash, 'new-hash');
    t.same((await store.signIns.sessionsOf(bob.id, now + 1)).map((s) => s.id), ['sid-b2'], 'a new password ends every other session');
    t.equal((await store.tokens.findByHash(first.hash))?.revokedAt, now + 1, "and the other session's internal cookie");
    t.equal((await store.tokens.findByHash(second.hash))?.revokedAt, null, 'not the one that changed it');

    const third = await signIn('b3', 'sid-b3');
    await store.signIns.endSessionsOf(bob.id, now + 1);
    t.same(await store.signIns.sessionsOf(bob.id, now + 1), [], 'signed out everywhere');
    t.equal((await store.tokens.findByHash(third.hash))?.revokedAt, now + 1, 'with the internal cookies');
    t.equal(await store.signIns.lastFactor(bob.id, device.id, 'password', 0), undefined, 'and the remembered factors');
    await signIn('b4', 'sid-b4');
    const access = token({ kind: 'access_token', actorId: bob.id });
    await store.tokens.insert(access);
    const disabled = (await store.actors.update(bob.id, { disabled: true }, now + 2))!;
    t.equal(disabled.disabledAt, now + 2);
    t.same(await store.signIns.sessionsOf(bob.id, now + 2), [], 'disabling signs them out everywhere');
    t.equal((await store.tokens.findByHash(access.hash))?.revokedAt, now + 2, 'and revokes every token');
    t.equal(await store.signIns.lastFactor(bob.id, device.id, 'password', 0), undefined, 'and forgets remembered factors');
    t.equal(await store.actors.countWithScope('masks:manage'), 1);
    t.equal((await store.actors.update(bob.id, { disabled: true }, now + 9))!.disabledAt, now + 2, 'disabling again keeps when');
    t.equal((await store.actors.update(bob.id, { disabled: false }, now + 3))!.disabledAt, null);
    t.equal(await store.actors.delete(bob.id), true);
    t.equal(await store.actors.find(bob.id), undefined);
    t.equal(await store.tokens.findByHash(access.hash), undefined, 'their tokens go with them');
    t.equal(await store.actors.delete(bob.id), false);
  });

  t.test('consents: listed per actor; withdrawing one revokes what the client holds for the actor', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'alice' });
    const device = { id: 'dev-c', userAgent: 'ua', ip: '::1' };
    await store.signIns.advanceAttempt({ attemptId: 'c1', now: T0, create: { id: 'c1', clientId: 'web', deviceId: device.id, actorId: alice.id, request: { clientId: 'web', redirectUri: '/', scope: [], prompt: [] }, createdAt: T0, expiresAt: T0 + 60 }, consent: { scopes: ['openid', 'email'] } });
    t.same(await store.signIns.consentsOf(alice.id), [{ clientId: 'web', scopes: ['openid', 'email'], grantedAt: T0 }]);
    const refresh = token({ kind: 'refresh_token', actorId: alice.id, facts: { auth_time: T0, amr: ['pwd'] } });
    const elsewhere = token({ kind: 'internal_token', actorId: alice.id });
    await store.tokens.insert(refresh);
    await store.tokens.insert(elsewhere);
    t.equal(await store.signIns.withdrawConsent(alice.id, 'web', T0 + 1), true);
    t.same(await store.signIns.consentsOf(alice.id), []);
    t.equal(await store.signIns.consentedScopes(alice.id, 'web').then((s) => s.length), 0);
    t.equal((await store.tokens.findByHash(refresh.hash))?.revokedAt, T0 + 1, "the client's refresh token is revoked");
    t.equal((await store.tokens.findByHash(elsewhere.hash))?.revokedAt, null, 'a session cookie is not a consent');
    t.equal(await store.signIns.withdrawConsent(alice.id, 'web', T0 + 2), false);
  });

  t.test('authenticators: one removed; the last takes the backup codes; a new set of codes replaces the old', async (t) => {
    const { store } = await open(t);
    const alice = await store.actors.create({ nickname: 'alice' });
    const bob = await store.actors.create({ nickname: 'bob' });
    const enrol = (attemptId: string, id: string, firstOnly: boolean, backupCodes?: string[]) =>
      store.signIns.advanceAttempt({ attemptId, now: T0, create: { id: attemptId, clientId: 'web', deviceId: 'd', actorId: alice.id, request: { clientId: 'web', redirectUri: '/', scope: [], prompt: [] }, createdAt: T0, expiresAt: T0 + 60 }, enrol: { authenticator: { id, actorId: alice.id, kind: 'totp', name: id, secret: 's' }, firstOnly, ...(backupCodes ? { backupCodes } : {}) } });
    await enrol('e1', 'auth-1', true, ['c1', 'c2']);
    await enrol('e2', 'auth-2', false);
    t.equal(await store.factors.backupCodesLeft(alice.id), 2);
    t.equal(await store.factors.removeAuthenticator(bob.id, 'auth-1'), false, "nobody removes another actor's");
    t.equal(await store.factors.removeAuthenticator(alice.id, 'auth-1'), true);
    t.same((await store.factors.authenticators(alice.id)).map((a) => a.id), ['auth-2']);
    t.equal(await store.factors.backupCodesLeft(alice.id), 2, 'codes stay while a second factor does');
    t.equal(await store.factors.add({ id: 'key-1', actorId: alice.id, kind: 'webauthn', name: 'Key', credentialId: 'cred-1', publicKey: 'pk' }, {}, T0), true, 'added outside a sign-in');
    t.equal(await store.factors.add({ id: 'key-2', actorId: bob.id, kind: 'webauthn', name: 'Key', credentialId: 'cred-1', publicKey: 'pk' }, {}, T0), false, 'a known credential id is refused');
    t.equal(await store.factors.add({ id: 'app-1', actorId: bob.id, kind: 'totp', name: 'App', secret: 's' }, { backupCodes: ['b1'], lastStep: 42 }, T0), true);
    t.match(await store.factors.authenticators(bob.id), [{ id: 'app-1', lastStep: 42 }], 'with the step its confirming code used');
    t.equal(await store.factors.backupCodesLeft(bob.id), 1, 'and its backup codes');
    t.equal(await store.factors.removeAuthenticator(alice.id, 'key-1'), true);
    await store.factors.replaceBackupCodes(alice.id, ['c3', 'c4', 'c5'], T0 + 1);
    t.equal(await store.factors.backupCodesLeft(alice.id), 3);
    t.equal(await store.factors.removeAuthenticator(alice.id, 'auth-2'), true);
    t.equal(await store.factors.backupCodesLeft(alice.id), 0, 'the last one takes the codes with it');
  });

  t.test('export and import: clients and actors move with their ids, hashes, second factors and consents; a taken claim or a failing row writes nothing', async (t) => {
    const { store } = await open(t);
    await store.clients.save({ id: 'api', name: 'API', secretHash: 'new-hash', redirectUris: [], postLogoutRedirectUris: [], overrides: { client_type: 'confidential', scopes: { allowed: ['api'] } }, seeded: true, previousSecretHash: 'old-hash', previousSecretExpiresAt: T0 + 99 });
    const alice = await store.actors.create({ nickname: 'alice', email: 'alice@example.com', passwordHash: 'argon-hash', scopes: ['staff'], emailVerified: true });
    const device = { id: 'dev-x', userAgent: 'ua', ip: '::1' };
    now = T0 + 1;
    await store.signIns.advanceAttempt({
      attemptId: 'x1',
      now,
      create: { id: 'x1', clientId: 'web', deviceId: device.id, actorId: alice.id, request: { clientId: 'web', redirectUri: '/', scope: [], prompt: [] }, createdAt: now, expiresAt: now + 60 },
      consent: { scopes: ['openid'] },
      enrol: { authenticator: { id: 'app', actorId: alice.id, kind: 'totp', name: 'Phone', secret: 'sealed' }, backupCodes: ['code-1', 'code-2'], firstOnly: true },
      use: { totpStep: { authenticatorId: 'app', step: 7 } },
    });
    await store.signIns.advanceAttempt({ attemptId: 'x1', now: now + 1, actorId: alice.id, use: { backupCode: 'code-1' } });
    await store.factors.add({ id: 'key', actorId: alice.id, kind: 'webauthn', name: 'Key', credentialId: 'cred', publicKey: 'pk', counter: 3, transports: ['usb'] }, {}, now);
    const bob = await store.actors.create({ nickname: 'bob' });
    await store.actors.update(bob.id, { disabled: true }, now);

    const data = await store.exportAll();
    t.same(data.clients.map((c) => c.id), ['api', 'web']);
    t.same(data.clients[0], { id: 'api', name: 'API', secretHash: 'new-hash', redirectUris: [], postLogoutRedirectUris: [], overrides: { client_type: 'confidential', scopes: { allowed: ['api'] } }, seeded: true, previousSecretHash: 'old-hash', previousSecretExpiresAt: T0 + 99, createdAt: T0 });
    const exported = data.actors.find((a) => a.id === alice.id)!;
    t.match(exported, { publicUuid: alice.publicUuid, nickname: 'alice', passwordHash: 'argon-hash', passwordChangedAt: T0, scopes: ['staff'], disabledAt: null, createdAt: T0 });
    t.same(exported.emails, [{ address: 'alice@example.com', verifiedAt: T0, createdAt: T0 }]);
    t.match(exported.authenticators, [{ id: 'app', kind: 'totp', secret: 'sealed', lastStep: 7 }, { id: 'key', kind: 'webauthn', credentialId: 'cred', counter: 3, transports: ['usb'] }]);
    t.same(exported.backupCodes.map((c) => [c.hash, c.usedAt]).sort(), [['code-1', T0 + 2], ['code-2', null]], 'backup codes, used or not');
    t.same(exported.consents, [{ clientId: 'web', scopes: ['openid'], grantedAt: T0 + 1 }]);
    t.equal(data.actors.find((a) => a.id === bob.id)?.disabledAt, now);

    const empty = await factory.open(t, clientDefaults, clock);
    const target = empty.store;
    t.same(await target.importAll(data, T0 + 50), [], 'nothing taken: all written');
    t.same(await target.exportAll(), data, 'the same clients and actors, exactly');
    t.match(await target.clients.find('api'), { secretHash: 'new-hash', type: 'confidential', revision: 1, updatedAt: T0 + 50 });
    t.match(await target.actors.findByIdentifier('alice@example.com'), { id: alice.id, publicUuid: alice.publicUuid, revision: 1 });
    t.equal((await target.factors.byCredentialId('cred'))?.actorId, alice.id);
    t.equal(await target.factors.backupCodesLeft(alice.id), 1);
    t.same(await target.signIns.consentedScopes(alice.id, 'web'), ['openid']);

    const again = await target.importAll(data, T0 + 60);
    t.same(
      again.map((claim) => `${claim.kind} ${claim.value}`).sort(),
      ['actor ' + alice.id, 'actor ' + bob.id, 'authenticator app', 'authenticator key', 'client api', 'client web', 'credential cred', 'email alice@example.com', 'nickname alice', 'nickname bob', 'public-uuid ' + alice.publicUuid, 'public-uuid ' + bob.publicUuid].sort(),
      'every claim already taken',
    );
    const other = (await factory.open(t, clientDefaults, clock)).store;
    await other.actors.create({ nickname: 'alice' });
    t.same(await other.importAll(data, T0 + 60), [{ kind: 'nickname', value: 'alice' }], 'one taken nickname');
    t.same([(await other.clients.list()).length, (await other.actors.list()).length], [0, 1], 'refuses the whole import');
    const broken = { clients: [], actors: [{ ...exported, id: 'someone', publicUuid: 'uuid', nickname: 'carol', emails: [], authenticators: [], backupCodes: [] }] };
    await t.rejects(other.importAll(broken, T0 + 60), 'a consent naming a client that is nowhere');
    t.equal(await other.actors.findByIdentifier('carol'), undefined, 'a row that fails takes the whole import back');
  });

  t.test('events: appended, newest first, filtered by actor (about or by), client, type or family, since, and paged', async (t) => {
    const { store } = await open(t);
    const add = (at: number, type: string, extra: Partial<{ actorId: string; clientId: string; by: string }> = {}) =>
      store.events.append({ at, type, actorId: extra.actorId ?? null, clientId: extra.clientId ?? null, by: extra.by ?? 'masks', ip: '127.0.0.1', detail: { n: at } });
    await add(T0, 'sign-in', { actorId: 'a', clientId: 'web' });
    await add(T0 + 1, 'sign-in.failed', { actorId: 'b', clientId: 'web' });
    await add(T0 + 2, 'client.changed', { clientId: 'web', by: 'actor:a' });
    await add(T0 + 3, 'client.created', { clientId: 'api', by: 'client:ops' });
    const all = await store.events.list({ limit: 10 });
    t.same(all.map((e) => e.type), ['client.created', 'client.changed', 'sign-in.failed', 'sign-in'], 'newest first');
    t.same(all[3], { id: all[3]!.id, at: T0, type: 'sign-in', actorId: 'a', clientId: 'web', by: 'masks', ip: '127.0.0.1', detail: { n: T0 } });
    t.same((await store.events.list({ actorId: 'a', limit: 10 })).map((e) => e.type), ['client.changed', 'sign-in'], 'about the actor or done by them');
    t.same((await store.events.list({ clientId: 'web', limit: 10 })).map((e) => e.type), ['client.changed', 'sign-in.failed', 'sign-in']);
    t.same((await store.events.list({ clientId: 'ops', limit: 10 })).map((e) => e.type), ['client.created'], 'done by a client');
    t.same((await store.events.list({ type: 'sign-in', limit: 10 })).map((e) => e.type), ['sign-in']);
    t.same((await store.events.list({ type: 'client.*', limit: 10 })).map((e) => e.type), ['client.created', 'client.changed']);
    t.same((await store.events.list({ type: '%.*', limit: 10 })), [], 'no wildcard smuggled into a family');
    t.same((await store.events.list({ since: T0 + 2, limit: 10 })).length, 2);
    const first = await store.events.list({ limit: 2 });
    const next = await store.events.list({ limit: 2, before: first[1]!.id });
    t.same(next.map((e) => e.type), ['sign-in.failed', 'sign-in'], 'the next page starts before the last id seen');
  });

  t.test('signing keys: active ones published; retired ones until publishUntil', async (t) => {
    const { store } = await open(t);
    const key = (kid: string) => ({ kid, alg: 'ES256' as const, publicJwk: { kty: 'EC', kid } });
    await store.signingKeys.activate([key('k1')], T0, T0);
    t.same((await store.signingKeys.published(T0)).map((k) => k.kid), ['k1']);
    await store.signingKeys.activate([key('k2')], T0 + 10, T0 + 100);
    t.same((await store.signingKeys.published(T0 + 50)).map((k) => k.kid), ['k2', 'k1'], 'newest first; the old one until its tokens expire');
    t.same((await store.signingKeys.published(T0 + 100)).map((k) => k.kid), ['k2']);
  });

  t.test('limits: counted atomically (twenty takes at once, six go ahead), peeked, forgiven, cleared, forgotten after the window', async (t) => {
    const { store } = await open(t);
    const limit = { name: 'test.guess', free: 5, baseDelay: 2, maxDelay: 900, window: 3600 };
    const alice = { limit, key: 'alice' };
    const waits = await Promise.all(Array.from({ length: 20 }, () => store.limits.take([alice], [alice])));
    t.equal(waits.filter((wait) => wait === 0).length, 6, 'the five free and the sixth, whatever the order they ran in');
    t.ok(waits.filter((wait) => wait > 0).every((wait) => wait === 2), 'the others wait, and are not counted');
    t.same(await store.limits.peek([alice, { limit, key: 'bob' }]), { wait: 2, known: [alice] }, 'a peek counts nothing');
    await store.limits.forgive(alice);
    t.equal(await store.limits.take([alice], [alice]), 0, 'forgiven one: one more goes ahead');
    t.equal(await store.limits.take([alice], []), 2);
    await store.limits.clear(alice);
    t.same(await store.limits.peek([alice]), { wait: 0, known: [] }, 'cleared');
    const other = { limit: { ...limit, name: 'test.other' }, key: 'alice' };
    for (let i = 0; i < 6; i++) await store.limits.take([other], [other]);
    t.equal((await store.limits.peek([alice])).wait, 0, 'each limit counts apart');
    now += 3601;
    t.same(await store.limits.peek([other]), { wait: 0, known: [] }, 'forgotten after the window');
    t.equal(await store.limits.take([other], [other]), 0, 'a new run');
  });

  t.test('settings, the sweep, readiness and durability across a reopen', async (t) => {
    const { store, reopen } = await open(t);
    t.equal(await store.settings.get('x'), undefined);
    await store.settings.set('x', { a: 1 }, T0);
    t.same(await store.settings.get('x'), { a: 1 });
    await store.signIns.advanceAttempt({ attemptId: 'old', now: T0, create: { id: 'old', clientId: 'web', deviceId: 'd', actorId: null, request: { clientId: 'web', redirectUri: '/', scope: [], prompt: [] }, createdAt: T0, expiresAt: T0 + 10 } });
    const expired = token({ kind: 'access_token', expiresAt: T0 + 10 });
    const live = token({ kind: 'access_token', expiresAt: T0 + 10_000 });
    await store.tokens.insert(expired);
    await store.tokens.insert(live);
    await store.events.append({ at: T0, type: 'old', actorId: null, clientId: null, by: 'masks', ip: null, detail: {} });
    await store.events.append({ at: T0 + 15, type: 'recent', actorId: null, clientId: null, by: 'masks', ip: null, detail: {} });
    t.equal(await store.sweep({ now: T0 + 20, before: T0 + 20, devicesBefore: 0, eventsBefore: T0 + 10 }), 1);
    t.same((await store.events.list({ limit: 10 })).map((e) => e.type), ['recent'], 'events older than their retention go');
    t.equal(await store.signIns.attempt('old'), undefined, 'expired attempts go');
    t.equal(await store.tokens.findByHash(expired.hash), undefined, 'a swept token is gone, cache or not');
    await store.ping();
    const again = await reopen();
    t.ok(await again.tokens.findByHash(live.hash), 'acknowledged writes survive a reopen');
    t.same(await again.settings.get('x'), { a: 1 });
  });
}
