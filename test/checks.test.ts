/** Each check alone: evaluate() against a real installation, with hand-made attempts. */
import t from 'tap';
import type { Attempt, CheckContext } from '../src/checks/check.js';
import { clientConsentCheck } from '../src/checks/client_consent.js';
import { credentialsCheck } from '../src/checks/credentials.js';
import { deviceCheck } from '../src/checks/device.js';
import { CHECKS, runChecks } from '../src/checks/pipeline.js';
import { subjectFor } from '../src/oauth/subjects.js';
import { makeMasks } from './helpers/app.js';
import { flowYaml } from './flows/setup.js';

async function setup(t: Parameters<typeof makeMasks>[0]) {
  const test = await makeMasks(t, { yaml: flowYaml() });
  const { masks, clock, db } = test;
  (await db.run("insert into devices (id, user_agent, ip, created_at, last_seen_at) values ('dev1', 'ua', '127.0.0.1', ?, ?)", clock.now, clock.now));
  const alice = (await masks.store.actors.findByIdentifier('alice'))!;
  const clients = new Map((await masks.store.clients.list()).map((c) => [c.id, c]));
  const device = (await masks.store.signIns.device('dev1'))!;
  const context = (clientId: string, overrides: Partial<Attempt> = {}, extra: Partial<CheckContext> = {}): CheckContext => {
    const client = clients.get(clientId)!;
    return {
      masks,
      client,
      attempt: { id: 'a1', clientId, deviceId: 'dev1', actorId: null, request: { clientId, redirectUri: client.redirectUris[0] ?? '/', scope: ['openid'], prompt: [] }, passed: [], steps: [], createdAt: clock.now, expiresAt: clock.now + 3600, completedAt: null, ...overrides },
      device,
      session: undefined,
      actor: undefined,
      now: clock.now,
      ...extra,
    };
  };
  const session = async (clientId: string, authTime = clock.now) => {
    (await db.run('insert into factors (actor_id, device_id, kind, client_id, passed_at) values (?, ?, ?, ?, ?)', alice.id, 'dev1', 'password', clientId, authTime));
    return { hash: 'h', id: 's1', actorId: alice.id, deviceId: 'dev1', authTime, amr: ['pwd'], createdAt: authTime, lastSeenAt: authTime, expiresAt: authTime + 86_400, endedAt: null };
  };
  return { ...test, alice, context, session };
}

t.test('device: passes, unless the device is blocked', async (t) => {
  const { masks, context, clock } = await setup(t);
  t.same(await deviceCheck.evaluate(context('web')), { kind: 'pass' });
  await masks.store.signIns.blockDevice('dev1', clock.now);
  t.match(await deviceCheck.evaluate(context('web', {}, { device: (await masks.store.signIns.device('dev1'))! })), { kind: 'deny', reason: 'device-blocked' });
});

t.test('credentials: the form, a password passed in this attempt, a session standing in', async (t) => {
  const { context, session, alice, clock, masks } = await setup(t);
  t.same(await credentialsCheck.evaluate(context('web')), { kind: 'prompt', prompt: 'credentials', oauthError: 'login_required' });
  const live = await session('web');
  t.same(await credentialsCheck.evaluate(context('web', { actorId: alice.id, passed: [{ factor: 'password', at: clock.now - 5 }] })), { kind: 'pass', actorId: alice.id, amr: ['pwd'], authTime: clock.now - 5 }, 'passed in this attempt: when the password was checked');
  t.same(await credentialsCheck.evaluate(context('web', {}, { session: live })), { kind: 'pass', actorId: alice.id, amr: ['pwd'], authTime: clock.now }, 'SSO');
  t.equal((await credentialsCheck.evaluate(context('web', { request: { clientId: 'web', redirectUri: '', scope: [], prompt: ['login'] } }, { session: live })) as { kind: string }).kind, 'prompt', 'prompt=login');
  t.equal((await credentialsCheck.evaluate(context('web', { request: { clientId: 'web', redirectUri: '', scope: [], prompt: [], maxAge: 0 } }, { session: live, now: clock.now + 1 })) as { kind: string }).kind, 'prompt', 'max_age elapsed');
  t.equal((await credentialsCheck.evaluate(context('web', { request: { clientId: 'web', redirectUri: '', scope: [], prompt: [], maxAge: 0 } }, { session: live })) as { kind: string }).kind, 'prompt', 'max_age=0 in the same second as the sign-in: sign in again');
  t.equal((await credentialsCheck.evaluate(context('web', { request: { clientId: 'web', redirectUri: '', scope: [], prompt: [], maxAge: 60 } }, { session: live, now: clock.now + 59 })) as { kind: string }).kind, 'pass', 'within max_age');
  t.equal((await credentialsCheck.evaluate(context('web', { actorId: 'someone-else' }, { session: live })) as { kind: string }).kind, 'prompt', "an attempt bound to one actor is never carried on by another's session");
  const otherSub = 'not-alice';
  t.equal((await credentialsCheck.evaluate(context('web', { request: { clientId: 'web', redirectUri: '', scope: [], prompt: [], hintSub: otherSub } }, { session: live })) as { kind: string }).kind, 'prompt', 'id_token_hint for someone else');
  const own = subjectFor(masks, (await masks.store.clients.find('web'))!, alice);
  t.equal((await credentialsCheck.evaluate(context('web', { request: { clientId: 'web', redirectUri: '', scope: [], prompt: [], hintSub: own } }, { session: live })) as { kind: string }).kind, 'pass', 'id_token_hint for her');
  const later = clock.now + 3 * 3600 + 1;
  t.equal((await credentialsCheck.evaluate(context('other', {}, { session: live, now: later })) as { kind: string }).kind, 'prompt', 'another client after sso_factor_expires_in');
  t.equal((await credentialsCheck.evaluate(context('web', {}, { session: live, now: later })) as { kind: string }).kind, 'pass', 'the same client within password_factor_expires_in');
});

t.test('client-consent: asks, remembers, asks again for more; internal clients never ask', async (t) => {
  const { context, alice, db, clock } = await setup(t);
  const withActor = (clientId: string, scope: string[], prompt: Array<'consent'> = []) =>
    context(clientId, { actorId: alice.id, request: { clientId, redirectUri: '', scope, prompt } }, { actor: alice });
  t.same(await clientConsentCheck.evaluate(withActor('web', ['openid'])), { kind: 'prompt', prompt: 'consent', oauthError: 'consent_required' });
  (await db.run('insert into consents (actor_id, client_id, scopes, granted_at) values (?, ?, ?, ?)', alice.id, 'web', JSON.stringify(['openid']), clock.now));
  t.same(await clientConsentCheck.evaluate(withActor('web', ['openid'])), { kind: 'pass' });
  t.equal((await clientConsentCheck.evaluate(withActor('web', ['openid', 'email'])) as { kind: string }).kind, 'prompt', 'more scopes');
  t.equal((await clientConsentCheck.evaluate(withActor('web', ['openid'], ['consent'])) as { kind: string }).kind, 'prompt', 'prompt=consent');
  t.same(await clientConsentCheck.evaluate(withActor('intranet', ['openid'])), { kind: 'pass' }, 'internal');
});

t.test('the pipeline: installation order, client subset, stops at the first prompt, refuses unknown checks', async (t) => {
  const { context, masks, alice, clock } = await setup(t);
  t.same(Object.keys(CHECKS), ['device', 'credentials', 'second-factor', 'client-consent', 'onboarded', 'verified-email']);
  const seen: string[] = [];
  const result = await runChecks(context('web'), async (outcome) => {
    seen.push(outcome.kind);
    return context('web');
  });
  t.match(result, { kind: 'prompt', prompt: 'credentials', check: 'credentials' });
  t.same(seen, ['pass'], 'device passed first, then credentials stopped it');
  const verified = { ...(await masks.store.clients.find('web'))!, settings: { ...(await masks.store.clients.find('web'))!.settings, checks: ['device' as const, 'credentials' as const, 'verified-email' as const] } };
  const signedIn = { ...context('web', { actorId: alice.id, passed: [{ factor: 'password', at: clock.now }] }, { actor: alice }), client: verified };
  const withoutIt = { ...signedIn, masks: { ...masks, config: { ...masks.config, checks: masks.config.checks.filter((name) => name !== 'verified-email') } } };
  const refused = await runChecks(withoutIt, async () => withoutIt);
  t.match(refused, { kind: 'deny', reason: 'check-unavailable', names: ['verified-email'], check: 'verified-email' }, 'a check the client demands that the installation order leaves out is a deny, never a silent pass');
});

t.test('the policy checks: someone known, the one id_token_hint names, holding the required scopes', async (t) => {
  const { context, masks, alice, clock } = await setup(t);
  const web = (await masks.store.clients.find('web'))!;
  const noCredentials = { ...web, settings: { ...web.settings, checks: ['device' as const] } };
  t.match(await runChecks({ ...context('web'), client: noCredentials }, () => ({ ...context('web'), client: noCredentials })), { kind: 'deny', reason: 'no-credentials', check: 'actor-known' }, 'a client that asks for no credentials cannot tell who signs in');
  const signedIn = (clientId: string, request: Partial<Attempt['request']> = {}) => {
    const ctx = context(clientId, { actorId: alice.id, passed: [{ factor: 'password', at: clock.now }], request: { clientId, redirectUri: '', scope: ['openid'], prompt: [], ...request } }, { actor: alice });
    return runChecks(ctx, () => ctx);
  };
  t.match(await signedIn('web', { hintSub: 'someone-else' }), { kind: 'deny', reason: 'hint-mismatch', oauthError: 'login_required' });
  const bob = (await masks.store.actors.findByIdentifier('bob'))!;
  const intranet = (await masks.store.clients.find('intranet'))!;
  const bobCtx = context('intranet', { actorId: bob.id, passed: [{ factor: 'password', at: clock.now }] }, { actor: bob });
  t.match(await runChecks(bobCtx, () => bobCtx), { kind: 'deny', reason: 'scopes-missing', names: intranet.settings.scopes.required });
  t.match(await signedIn('intranet'), { kind: 'pass' }, 'alice holds staff');
});

t.test('a check the client demands but the installation leaves out of its order is a deny, never skipped', async (t) => {
  const { context, masks, alice, clock } = await setup(t);
  const narrowed = { ...masks, config: { ...masks.config, checks: ['device' as const, 'credentials' as const] } };
  const ctx = { ...context('web', { actorId: alice.id, passed: [{ factor: 'password', at: clock.now }] }, { actor: alice }), masks: narrowed };
  t.ok(ctx.client.settings.checks.includes('client-consent'), 'web demands consent');
  t.match(await runChecks(ctx, () => ctx), { kind: 'deny', reason: 'check-unavailable', names: ['client-consent'] });
});
