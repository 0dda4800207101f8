/** The management API through app.inject: authorisation, every resource, bad input, own-rights limits, concurrency, the audit trail. */
import t, { type Test } from 'tap';
import type { FastifyInstance } from 'fastify';
import { API_ROUTES } from '../../src/manage/api.js';
import { manageCsrfToken } from '../../src/manage/auth.js';
import { basic, post } from '../helpers/app.js';
import { InjectBrowser } from '../helpers/browser.js';
import { ALICE, BOB, flowYaml, open, signIn } from '../flows/setup.js';
import { makeMasks } from '../helpers/app.js';

const OPS = { id: 'ops', secret: 'ops-secret-that-is-at-least-32-characters!' };

const yaml = () => {
  const base = flowYaml();
  const seeds = base.seeds as { clients: unknown[] };
  return { ...base, seeds: { ...seeds, clients: [...seeds.clients, { id: OPS.id, client_type: 'confidential', secret: OPS.secret, scopes: { allowed: ['masks:manage', 'api'] } }] } };
};

async function tokenFor(app: FastifyInstance, id: string, secret: string, scope: string) {
  const response = await post(app, '/token', { grant_type: 'client_credentials', scope }, basic(id, secret));
  if (response.statusCode !== 200) throw new Error(response.body);
  return response.json().access_token as string;
}

function api(app: FastifyInstance, token: string) {
  return (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url: `/api/manage${url}`,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
}

const isProblem = (t: Test, response: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, what: string) => {
  t.equal(response.statusCode, status, what);
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`);
  t.match(response.json(), { status, title: String, detail: String }, `${what}: RFC 9457 body`);
};

t.test('authorisation: a bearer token with masks:manage, nothing less', async (t) => {
  const { app } = await makeMasks(t, { yaml: yaml() });
  isProblem(t, await app.inject('/api/manage/clients'), 401, 'no credentials');
  t.match((await app.inject('/api/manage/clients')).headers['www-authenticate'], /^Bearer/);
  isProblem(t, await app.inject({ url: '/api/manage/clients', headers: { authorization: 'Bearer nope' } }), 401, 'an unknown token');
  isProblem(t, await app.inject({ url: '/api/manage/clients', headers: { authorization: 'Basic abc' } }), 401, 'not a bearer token');
  const apiOnly = await tokenFor(app, OPS.id, OPS.secret, 'api');
  const refused = await api(app, apiOnly)('GET', '/clients');
  isProblem(t, refused, 403, 'a token without masks:manage');
  t.match(refused.headers['www-authenticate'], /insufficient_scope/);
  const token = await tokenFor(app, OPS.id, OPS.secret, 'masks:manage');
  const listed = await api(app, token)('GET', '/clients');
  t.equal(listed.statusCode, 200);
  t.ok(listed.json().clients.some((c: { id: string; read_only: string | null }) => c.id === 'manage' && c.read_only), 'the management client is listed, read-only');
  isProblem(t, await api(app, token)('GET', '/nothing-here'), 404, 'an unknown endpoint');
});

t.test('clients: create, show with ETag, change by merge patch with If-Match, rotate with overlap, delete; bad input named', async (t) => {
  const { app, clock } = await makeMasks(t, { yaml: yaml() });
  const token = await tokenFor(app, OPS.id, OPS.secret, 'masks:manage');
  const call = api(app, token);

  const created = await call('POST', '/clients', { id: 'billing', name: 'Billing', client_type: 'confidential', redirect_uris: ['https://billing.example/cb'], scopes: { allowed: ['openid', 'api'] } });
  t.equal(created.statusCode, 201);
  t.equal(created.headers.location, '/api/manage/clients/billing');
  const { secret, client } = created.json();
  t.equal(secret.length, 43, 'a random 256-bit secret, returned once');
  t.match(client, { id: 'billing', client_type: 'confidential', has_secret: true, read_only: null, redirect_uris: ['https://billing.example/cb'] });
  t.equal(client.settings.access_token_expires_in, '6 hours', 'durations read as in masks.yml');
  t.equal((await post(app, '/token', { grant_type: 'client_credentials', scope: 'api' }, basic('billing', secret))).statusCode, 200, 'the new client works at once');
  t.notOk((await call('GET', '/clients/billing')).body.includes(secret), 'the secret is never shown again');

  isProblem(t, await call('POST', '/clients', { id: 'billing' }), 422, 'a taken id');
  const unknown = await call('POST', '/clients', { id: 'x', colour: 'red' });
  isProblem(t, unknown, 400, 'an unknown field');
  t.same(unknown.json().errors[0].field, '/colour', 'the field is named');
  const wrongType = await call('POST', '/clients', { id: 'x', redirect_uris: 'https://x.example/cb' });
  t.equal(wrongType.json().errors[0].field, '/redirect_uris');
  t.equal((await call('POST', '/clients', { id: 'x', access_token_expires_in: 'soon' })).json().errors[0].field, '/access_token_expires_in', 'a bad duration');
  isProblem(t, await call('POST', '/clients', { id: 'x', client_type: 'public', redirect_uris: ['javascript:alert(1)'] }), 422, 'a redirect URI masks refuses');
  isProblem(t, await call('POST', '/clients', '{"id":'), 400, 'broken JSON');
  isProblem(t, await call('POST', '/clients', [1, 2]), 400, 'not an object');
  isProblem(t, await app.inject({ method: 'POST', url: '/api/manage/clients', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, payload: 'x' }), 415, 'not JSON');

  const shown = await call('GET', '/clients/billing');
  const etag = shown.headers.etag as string;
  t.match(etag, /^"r\d+\.\d+"$/);
  const changed = await call('PATCH', '/clients/billing', { name: 'Billing 2', access_token_expires_in: '1 hour' }, { 'if-match': etag });
  t.equal(changed.statusCode, 200);
  t.match(changed.json().client, { name: 'Billing 2', overrides: { access_token_expires_in: '1 hour' }, redirect_uris: ['https://billing.example/cb'] });
  t.not(changed.headers.etag, etag, 'a change gives a new ETag');
  isProblem(t, await call('PATCH', '/clients/billing', { name: 'Lost update' }, { 'if-match': etag }), 412, 'a stale If-Match');
  t.equal((await call('GET', '/clients/billing')).json().name, 'Billing 2', 'nothing written by the stale patch');
  const reset = await call('PATCH', '/clients/billing', { access_token_expires_in: null });
  t.equal(reset.json().client.settings.access_token_expires_in, '6 hours', 'null returns a key to its default');
  isProblem(t, await call('PATCH', '/clients/billing', { id: 'renamed' }), 400, 'an id cannot change');
  isProblem(t, await call('PATCH', '/clients/billing', { secret: 'x'.repeat(40) }), 422, 'a secret is rotated, not patched');
  isProblem(t, await call('PATCH', '/clients/billing', { checks: ['no-such-check'] }), 400, 'a bad check name');
  isProblem(t, await call('PATCH', '/clients/web', { name: 'Mine now' }), 409, 'a seeded client is read-only');
  isProblem(t, await call('DELETE', '/clients/manage'), 409, 'so is the management client');
  t.equal((await call('POST', '/clients', { id: 'robot', client_type: 'confidential', scopes: { allowed: ['masks:manage'] } })).statusCode, 201);
  const robotSecret = (await call('POST', '/clients/robot/secret')).json().secret as string;
  const robot = api(app, await tokenFor(app, 'robot', robotSecret, 'masks:manage'));
  isProblem(t, await robot('POST', '/clients/robot/secret', {}), 403, 'a client cannot rotate itself through its own token');
  isProblem(t, await robot('PATCH', '/clients/robot', { scopes: { allowed: ['masks:manage', 'masks:root'] } }), 403, 'nor change itself');
  isProblem(t, await call('PATCH', '/clients/robot', { scopes: { allowed: ['masks:root'] } }), 403, 'nobody gives a client a masks: scope they do not hold');
  isProblem(t, await call('PATCH', '/clients/nope', { name: 'x' }), 404, 'an unknown client');

  // Two admins, one ETag: one wins, the other is told.
  const current = (await call('GET', '/clients/billing')).headers.etag as string;
  const racing = await Promise.all([call('PATCH', '/clients/billing', { name: 'A' }, { 'if-match': current }), call('PATCH', '/clients/billing', { name: 'B' }, { 'if-match': current })]);
  t.same(racing.map((r) => r.statusCode).sort(), [200, 412], 'concurrent edits: one wins, one 412');

  const rotated = await call('POST', '/clients/billing/secret', { overlap: '1 hour' });
  t.equal(rotated.statusCode, 200);
  const fresh = rotated.json().secret as string;
  t.not(fresh, secret);
  const tokenWith = async (s: string) => (await post(app, '/token', { grant_type: 'client_credentials', scope: 'api' }, basic('billing', s))).statusCode;
  t.equal(await tokenWith(fresh), 200, 'the new secret works');
  t.equal(await tokenWith(secret), 200, 'the old one during the overlap');
  clock.advance(3601);
  t.equal(await tokenWith(secret), 401, 'not after it');
  const again = (await call('POST', '/clients/billing/secret')).json().secret as string;
  t.equal(await tokenWith(fresh), 401, 'no overlap by default: the old secret stops at once');
  t.equal(await tokenWith(again), 200);
  isProblem(t, await call('POST', '/clients/billing/secret', { overlap: 'a while' }), 400, 'a bad overlap');
  isProblem(t, await call('POST', '/clients/spa/secret', {}), 409, 'a seeded client keeps its secret in masks.yml');

  t.equal((await call('DELETE', '/clients/billing')).statusCode, 204);
  isProblem(t, await call('GET', '/clients/billing'), 404, 'deleted');
  t.equal(await tokenWith(again), 401, 'a deleted client cannot get tokens');
});

t.test('actors: create, search, change, disable signs out everywhere, own-rights limits, the last manager stays', async (t) => {
  const { app } = await makeMasks(t, { yaml: yaml() });
  const call = api(app, await tokenFor(app, OPS.id, OPS.secret, 'masks:manage'));

  const created = await call('POST', '/actors', { nickname: 'carol', email: 'Carol@Example.com', name: 'Carol', password: 'carol-password', scopes: ['staff'] });
  t.equal(created.statusCode, 201);
  const carol = created.json();
  t.match(carol, { nickname: 'carol', email: 'carol@example.com', name: 'Carol', scopes: ['staff'], disabled: false, has_password: true, second_factors: [] });
  t.notOk(created.body.includes('carol-password'));
  isProblem(t, await call('POST', '/actors', { nickname: 'CAROL' }), 422, 'a taken nickname, whatever its case');
  isProblem(t, await call('POST', '/actors', { nickname: 'dan', password: 'short' }), 422, 'the password rule');
  isProblem(t, await call('POST', '/actors', { nickname: 'dan', scopes: ['masks:root'] }), 403, 'a masks: scope the caller does not hold');
  t.equal((await call('POST', '/actors', { nickname: 'dan', scopes: ['masks:manage'] })).statusCode, 201, 'one it holds');

  const found = await call('GET', '/actors?q=CAROL&limit=10');
  t.same(found.json().actors.map((a: { nickname: string }) => a.nickname), ['carol']);
  t.equal((await call('GET', '/actors?limit=2&offset=0')).json().actors.length, 2);
  t.ok((await call('GET', '/actors?limit=2')).json().total >= 4);
  isProblem(t, await call('GET', '/actors?limit=1000'), 400, 'a limit out of range');
  isProblem(t, await call('GET', '/actors?page=2'), 400, 'an unknown query parameter');

  const patched = await call('PATCH', `/actors/${carol.id}`, { name: 'Carol C', email: 'carol@example.org' });
  t.match(patched.json(), { name: 'Carol C', email: 'carol@example.org' });
  isProblem(t, await call('PATCH', `/actors/${carol.id}`, { email: ALICE.email }), 422, "another actor's address");
  isProblem(t, await call('PATCH', `/actors/${carol.id}`, { nickname: null, email: null }), 422, 'an actor keeps an identifier');
  isProblem(t, await call('PATCH', `/actors/${carol.id}`, { disabled: 'yes' }), 400, 'a wrong type');

  // Alice signs in to the internal client, then is disabled: signed out everywhere at once.
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, '/authorize/intranet'), ALICE);
  t.equal((await browser.get('/session')).statusCode, 200);
  const alice = (await call('GET', '/actors?q=alice')).json().actors[0];
  t.equal((await call('GET', `/actors/${alice.id}/sessions`)).json().sessions.length, 1);
  t.equal((await call('PATCH', `/actors/${alice.id}`, { disabled: true })).json().disabled, true);
  t.equal((await browser.get('/session')).statusCode, 401, 'her session cookie is dead');
  t.same((await call('GET', `/actors/${alice.id}/sessions`)).json().sessions, []);
  const again = await signIn(browser, await open(browser, '/authorize/intranet'), ALICE);
  t.equal(again.statusCode, 403, 'a disabled actor cannot sign in');
  t.match(again.body, /disabled/);
  t.equal((await call('PATCH', `/actors/${alice.id}`, { disabled: false })).statusCode, 200);
  t.equal((await signIn(browser, await open(browser, '/authorize/intranet'), ALICE)).statusCode, 303, 'enabled again, she signs in');

  // The first manager is the only enabled actor with masks:manage besides dan.
  const manager = (await call('GET', '/actors?q=manager')).json().actors[0];
  const dan = (await call('GET', '/actors?q=dan')).json().actors[0];
  t.equal((await call('DELETE', `/actors/${dan.id}`)).statusCode, 204);
  isProblem(t, await call('PATCH', `/actors/${manager.id}`, { disabled: true }), 409, 'the last manager cannot be disabled');
  isProblem(t, await call('PATCH', `/actors/${manager.id}`, { scopes: [] }), 409, 'nor lose masks:manage');
  isProblem(t, await call('DELETE', `/actors/${manager.id}`), 409, 'nor be deleted');

  t.equal((await call('DELETE', `/actors/${carol.id}`)).statusCode, 204);
  isProblem(t, await call('GET', `/actors/${carol.id}`), 404, 'deleted');
  const bob = (await call('GET', `/actors?q=${BOB.nickname}`)).json().actors[0];
  isProblem(t, await call('DELETE', `/actors/${bob.id}/second-factors/nope`), 404, 'an unknown second factor');
});

t.test('sessions and devices: end one session, block a device', async (t) => {
  const { app: app2 } = await makeMasks(t, { yaml: yaml() });
  const call = api(app2, await tokenFor(app2, OPS.id, OPS.secret, 'masks:manage'));
  const browser = new InjectBrowser(app2);
  await signIn(browser, await open(browser, '/authorize/intranet'), ALICE);
  const alice = (await call('GET', '/actors?q=alice')).json().actors[0];
  const [session] = (await call('GET', `/actors/${alice.id}/sessions`)).json().sessions;
  t.match(session, { device_id: String, user_agent: 'test-browser/1.0', amr: ['pwd'] });
  t.equal((await call('DELETE', `/sessions/${session.id}`)).statusCode, 204);
  t.equal((await browser.get('/session')).statusCode, 401, 'the ended session signs the browser out');
  isProblem(t, await call('DELETE', `/sessions/${session.id}`), 404, 'an ended session');
  const phone = new InjectBrowser(app2, 'phone/1.0');
  const tablet = new InjectBrowser(app2, 'tablet/1.0');
  await signIn(phone, await open(phone, '/authorize/intranet'), ALICE);
  await signIn(tablet, await open(tablet, '/authorize/intranet'), ALICE);
  t.equal((await call('GET', `/actors/${alice.id}/sessions`)).json().sessions.length, 2);
  t.equal((await call('DELETE', `/actors/${alice.id}/sessions`)).statusCode, 204, 'end them all');
  t.same([(await phone.get('/session')).statusCode, (await tablet.get('/session')).statusCode], [401, 401], 'signed out everywhere');
  t.equal((await call('POST', `/devices/${session.device_id}/block`)).statusCode, 204);
  const blocked = await open(browser, '/authorize/intranet');
  t.equal(blocked.statusCode, 403, 'no sign-in from a blocked device');
  t.match(blocked.body, /This device is blocked/);
  isProblem(t, await call('POST', '/devices/unknown/block'), 404, 'an unknown device');
});

t.test('the audit trail: who did what, filters and paging, never a secret', async (t) => {
  const { app } = await makeMasks(t, { yaml: yaml() });
  const call = api(app, await tokenFor(app, OPS.id, OPS.secret, 'masks:manage'));
  const browser = new InjectBrowser(app);
  await browser.submit(await open(browser, '/authorize/intranet'), { identifier: 'alice', password: 'wrong password!' });
  await signIn(browser, await open(browser, '/authorize/intranet'), ALICE);
  const created = (await call('POST', '/clients', { id: 'crm', client_type: 'confidential', scopes: { allowed: ['api'] } })).json();
  await call('PATCH', '/clients/crm', { name: 'CRM' });
  const rotated = (await call('POST', '/clients/crm/secret', {})).json().secret as string;
  await post(app, '/token', { grant_type: 'client_credentials', scope: 'nope' }, basic('crm', rotated));
  await post(app, '/token', { grant_type: 'client_credentials', scope: 'api' }, basic('crm', rotated));

  const all = (await call('GET', '/events')).json().events as Array<{ type: string; by: string; at: string; detail: Record<string, unknown>; client_id: string | null; actor_id: string | null }>;
  const types = all.map((e) => e.type);
  for (const type of ['sign-in.failed', 'sign-in', 'client.created', 'client.changed', 'client.secret-rotated', 'token.issued', 'token.failed']) t.ok(types.includes(type), type);
  const failed = all.find((e) => e.type === 'sign-in.failed')!;
  t.match(failed.detail, { reason: 'wrong password' });
  t.ok(failed.actor_id, 'the failure names the account');
  const changed = all.find((e) => e.type === 'client.changed')!;
  t.match(changed, { by: `client:${OPS.id}`, client_id: 'crm', detail: { fields: ['name'] } });
  t.match(changed.at, /^\d{4}-\d\d-\d\dT/);
  t.match(all.find((e) => e.type === 'token.failed' && e.detail.grant_type)!.detail, { grant_type: 'client_credentials', reason: /invalid_scope/ });
  await post(app, '/token', { grant_type: 'client_credentials' }, basic('crm', created.secret));
  const wrongSecret = (await call('GET', '/events?client=crm&type=token.failed')).json().events[0];
  t.match(wrongSecret.detail, { endpoint: '/token', reason: 'invalid_client: the client secret does not match (after a rotation, the old secret works only during the overlap)' }, 'a wrong secret, said plainly');
  const text = JSON.stringify(all);
  for (const secret of [created.secret, rotated, ALICE.password, OPS.secret]) t.notOk(text.includes(secret), 'no secret in the events');

  t.same((await call('GET', '/events?type=client.*')).json().events.map((e: { type: string }) => e.type), ['client.secret-rotated', 'client.changed', 'client.created']);
  t.ok((await call('GET', '/events?client=crm')).json().events.every((e: { client_id: string; by: string }) => e.client_id === 'crm' || e.by === 'client:crm'));
  const page = (await call('GET', '/events?limit=2')).json();
  t.equal(page.events.length, 2);
  const next = (await call('GET', `/events?limit=2&before=${page.next_before}`)).json();
  t.ok(next.events.every((e: { id: number }) => e.id < page.next_before), 'the next page is older');
  t.equal((await call('GET', `/events?since=${encodeURIComponent(new Date(Date.now() + 86_400_000 * 400).toISOString())}`)).json().events.length, 0);
  isProblem(t, await call('GET', '/events?since=yesterday'), 400, 'a bad since');
});

t.test('the management session: reads with the cookie, changes only with the CSRF header', async (t) => {
  const { app, masks } = await makeMasks(t, { yaml: yaml() });
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, '/authorize/manage?rd=/manage'), { nickname: 'manager', password: 'manager-password' });
  const cookie = [...browser.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  t.equal((await app.inject({ url: '/api/manage/clients', headers: { cookie } })).statusCode, 200, 'a read with the session');
  const body = JSON.stringify({ id: 'from-ui', client_type: 'public', redirect_uris: ['https://ui.example/cb'] });
  isProblem(t, await app.inject({ method: 'POST', url: '/api/manage/clients', headers: { cookie, 'content-type': 'application/json' }, payload: body }), 403, 'a change without the CSRF header');
  const row = (await masks.store.tokens.live(browser.cookies.get('masks_internal')!, ['internal_token'], masks.clock()))!;
  const csrf = manageCsrfToken(masks, row.sid!);
  isProblem(t, await app.inject({ method: 'POST', url: '/api/manage/clients', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': 'x'.repeat(csrf.length) }, payload: body }), 403, 'a wrong CSRF header');
  const ok = await app.inject({ method: 'POST', url: '/api/manage/clients', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrf }, payload: body });
  t.equal(ok.statusCode, 201);
  const created = (await app.inject({ url: '/api/manage/events?type=client.created', headers: { cookie } })).json().events[0];
  t.match(created.by, /^actor:/, 'the event names the person');

  const staff = new InjectBrowser(app);
  await signIn(staff, await open(staff, '/authorize/intranet'), ALICE);
  const staffCookie = [...staff.cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  isProblem(t, await app.inject({ url: '/api/manage/clients', headers: { cookie: staffCookie } }), 403, 'signed in to another internal client, without masks:manage');
});

t.test('every route: 401 without credentials, 403 with a token lacking masks:manage, problem details either way', async (t) => {
  const { app } = await makeMasks(t, { yaml: yaml() });
  const apiOnly = await tokenFor(app, OPS.id, OPS.secret, 'api');
  for (const route of API_ROUTES) {
    const url = `/api/manage${route.url.replace(/:(\w+)/g, 'x')}`;
    const payload = route.method === 'POST' || route.method === 'PATCH' ? { payload: '{}', headers: { 'content-type': 'application/json' } } : {};
    isProblem(t, await app.inject({ method: route.method, url, ...payload }), 401, `${route.method} ${route.url} anonymous`);
    isProblem(t, await app.inject({ method: route.method, url, ...payload, headers: { ...(payload.headers ?? {}), authorization: `Bearer ${apiOnly}` } }), 403, `${route.method} ${route.url} without masks:manage`);
  }
});

t.test("a person's token: works while they hold masks:manage; someone else's asking for the scope gets nothing", async (t) => {
  const console = { id: 'console', secret: 'console-secret-that-is-at-least-32-chars', redirect: 'https://console.example/cb' };
  const base = yaml();
  const seeds = base.seeds as { clients: unknown[] };
  const { app } = await makeMasks(t, { yaml: { ...base, seeds: { ...seeds, clients: [...seeds.clients, { id: console.id, client_type: 'confidential', secret: console.secret, redirect_uris: [console.redirect], scopes: { allowed: ['openid', 'masks:manage'] } }] } } });
  const tokensOf = async (who: { nickname: string; password: string }) => {
    const browser = new InjectBrowser(app);
    const done = await signIn(browser, await open(browser, `/authorize?${new URLSearchParams({ client_id: console.id, response_type: 'code', redirect_uri: console.redirect, scope: 'openid masks:manage', state: 's' })}`), who);
    const code = new URL(done.headers.location as string).searchParams.get('code')!;
    return (await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: console.redirect }, basic(console.id, console.secret))).json() as { access_token: string; scope: string };
  };
  const managerTokens = await tokensOf({ nickname: 'manager', password: 'manager-password' });
  t.equal(managerTokens.scope, 'openid masks:manage');
  const managerToken = managerTokens.access_token;
  t.equal((await api(app, managerToken)('GET', '/clients')).statusCode, 200, "the manager's own token");
  const alices = await tokensOf(ALICE);
  t.equal(alices.scope, 'openid', 'someone without masks:manage does not get it in a token, whatever the client asks');
  isProblem(t, await api(app, alices.access_token)('GET', '/clients'), 403, 'and her token opens nothing here');
  const manager = (await api(app, managerToken)('GET', '/actors?q=manager')).json().actors[0];
  isProblem(t, await api(app, managerToken)('PATCH', `/actors/${manager.id}`, { disabled: true }), 403, 'nobody disables themselves');
  isProblem(t, await api(app, managerToken)('PATCH', `/actors/${manager.id}`, { scopes: ['masks:manage', 'more'] }), 403, 'nor changes their own scopes');
  t.equal((await api(app, managerToken)('PATCH', `/actors/${manager.id}`, { name: 'The Manager' })).statusCode, 200, 'their name is theirs to change');
});

t.test('the OpenAPI 3.1 document names every route', async (t) => {
  const { app } = await makeMasks(t, { yaml: yaml() });
  const response = await app.inject('/api/manage/openapi.json');
  t.equal(response.statusCode, 200);
  const doc = response.json();
  t.equal(doc.openapi, '3.1.0');
  for (const route of API_ROUTES) {
    const path = `/api/manage${route.url.replace(/:(\w+)/g, '{$1}')}`;
    t.ok(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${path}`);
  }
  const ids = Object.values(doc.paths).flatMap((p: any) => Object.values(p).map((o: any) => o.operationId));
  t.equal(new Set(ids).size, ids.length, 'operation ids are unique');
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const validator = new Validator();
  const result = await validator.validate(doc);
  t.same(result.errors ?? [], [], 'a valid OpenAPI 3.1 document');
  t.equal(result.valid, true);
  t.equal(validator.version, '3.1');
});

t.test('failures anyone can cause are kept at most twenty a minute per client and address', async (t) => {
  const { app, clock } = await makeMasks(t, { yaml: yaml() });
  const call = api(app, await tokenFor(app, OPS.id, OPS.secret, 'masks:manage'));
  const bad = () => app.inject(`/authorize?client_id=web&response_type=code&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`);
  for (let i = 0; i < 50; i++) await bad();
  const count = async () => (await call('GET', '/events?type=authorize.failed&limit=500')).json().events.length;
  t.equal(await count(), 20, 'a flood does not grow the trail');
  t.match((await call('GET', '/events?type=authorize.failed&limit=1')).json().events[0].detail.throttled, /not recorded until a minute has passed/, 'and the trail says so');
  clock.advance(61);
  await bad();
  t.equal(await count(), 21, 'a minute later they are noted again');
});

t.test('nobody manages someone who holds a masks: power they lack: no email change, reset link, factor removal or sign-out', async (t) => {
  const { app, masks } = await makeMasks(t, { yaml: yaml() });
  const call = api(app, await tokenFor(app, OPS.id, OPS.secret, 'masks:manage'));
  const { createActor } = await import('../../src/accounts/service.js');
  const root = await createActor(masks, { nickname: 'root', email: 'root@corp.example', password: 'root-password-123', scopes: ['masks:manage', 'masks:admin'] });
  isProblem(t, await call('PATCH', `/actors/${root.id}`, { email: 'attacker@evil.example' }), 403, 'no taking over their address');
  t.equal((await masks.store.actors.find(root.id))!.emails[0]!.address, 'root@corp.example');
  isProblem(t, await call('POST', `/actors/${root.id}/login-link`, {}), 403, 'no reset link');
  isProblem(t, await call('DELETE', `/actors/${root.id}/second-factors/any`), 403, 'no factor removal');
  isProblem(t, await call('DELETE', `/actors/${root.id}/sessions`), 403, 'no signing them out');
  isProblem(t, await call('DELETE', `/actors/${root.id}`), 403, 'no deleting them');

  // Nor through a device they are signed in on, nor through a client holding more.
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, '/authorize/intranet'), { nickname: 'root', password: 'root-password-123' }).catch(() => undefined);
  await signIn(browser, await open(browser, '/authorize/account?rd=/account'), { nickname: 'root', password: 'root-password-123' });
  const [session] = (await masks.store.signIns.sessionsOf(root.id, masks.clock()));
  isProblem(t, await call('POST', `/devices/${session!.deviceId}/block`), 403, 'no blocking the device they are on');
  const { addClient } = await import('../../src/clients/service.js');
  await addClient(masks, { id: 'ops2', overrides: { client_type: 'confidential', scopes: { allowed: ['masks:manage', 'masks:admin'] } } });
  isProblem(t, await call('POST', '/clients/ops2/secret', {}), 403, "no rotating the secret of a client allowed more (its token would be the caller's)");
  isProblem(t, await call('DELETE', '/clients/ops2'), 403, 'no deleting it');
  isProblem(t, await call('PATCH', '/clients/ops2', { name: 'Mine' }), 403, 'no changing it');
});

t.test('bounds: durations past 100 years, overlaps past 90 days and huge offsets are refused, and nothing is half-written', async (t) => {
  const { app } = await makeMasks(t, { yaml: yaml() });
  const call = api(app, await tokenFor(app, OPS.id, OPS.secret, 'masks:manage'));
  isProblem(t, await call('POST', '/clients', { id: 'c4', access_token_expires_in: 1e308 }), 400, 'a number of seconds too large');
  isProblem(t, await call('POST', '/clients', { id: 'c5', access_token_expires_in: '99999999 years' }), 400, 'a duration too long');
  isProblem(t, await call('GET', '/clients/c4'), 404, 'nothing saved');
  t.equal((await call('GET', '/clients')).statusCode, 200, 'the list still answers');
  t.equal((await call('POST', '/clients', { id: 'c6', client_type: 'confidential' })).statusCode, 201);
  isProblem(t, await call('PATCH', '/clients/c6', { refresh_token_expires_in: 1e300 }), 400, 'nor by a patch');
  isProblem(t, await call('POST', '/clients/c6/secret', { overlap: '99999999999 years' }), 400, 'an overlap too long to be a duration');
  isProblem(t, await call('POST', '/clients/c6/secret', { overlap: '1 year' }), 422, 'an overlap past 90 days');
  isProblem(t, await call('GET', '/actors?offset=99999999999999999999'), 400, 'a huge offset');
});

t.test('disabling voids the links on their way; two changes at once cannot take the last manager', async (t) => {
  const { app, masks } = await makeMasks(t, { yaml: yaml() });
  const call = api(app, await tokenFor(app, OPS.id, OPS.secret, 'masks:manage'));
  const alice = (await call('GET', '/actors?q=alice')).json().actors[0];
  t.equal((await call('POST', `/actors/${alice.id}/login-link`, {})).statusCode, 202);
  const { readdirSync, readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const outbox = path.join((masks.config as { data: string }).data, 'outbox');
  for (let i = 0; i < 100; i++) {
    try {
      if (readdirSync(outbox).length > 0) break;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const link = new URL(/(http:\/\/localhost:5000\/sign-in\/link\/[A-Za-z0-9_-]+)/.exec(readFileSync(path.join(outbox, readdirSync(outbox)[0]!), 'utf8'))![1]!).pathname;
  t.equal((await call('PATCH', `/actors/${alice.id}`, { disabled: true })).statusCode, 200);
  t.equal((await call('PATCH', `/actors/${alice.id}`, { disabled: false })).statusCode, 200);
  t.equal((await new InjectBrowser(app).get(link)).statusCode, 410, 'the reset sent before she was disabled is void');

  const bob = (await call('GET', '/actors?q=bob')).json().actors[0];
  const manager = (await call('GET', '/actors?q=manager')).json().actors[0];
  t.equal((await call('PATCH', `/actors/${bob.id}`, { scopes: ['masks:manage'] })).statusCode, 200, 'two managers now');
  for (let round = 0; round < 5; round++) {
    const results = await Promise.all([call('PATCH', `/actors/${bob.id}`, { scopes: [] }), call('PATCH', `/actors/${manager.id}`, { scopes: [] })]);
    t.ok(results.some((r) => r.statusCode === 409), `round ${round}: one of the two is refused`);
    t.ok((await masks.store.actors.countWithScope('masks:manage')) >= 1, `round ${round}: someone can still manage masks`);
    for (const who of [bob, manager]) await call('PATCH', `/actors/${who.id}`, { scopes: ['masks:manage'] });
  }
});

t.test("removing an actor's second factor: listed, removed (with the backup codes when it was the last), noted", async (t) => {
  const { app, masks } = await makeMasks(t, { yaml: yaml() });
  const call = api(app, await tokenFor(app, OPS.id, OPS.secret, 'masks:manage'));
  const alice = (await call('GET', '/actors?q=alice')).json().actors[0];
  await masks.store.factors.add({ id: 'app-1', actorId: alice.id, kind: 'totp', name: 'Phone app', secret: 'sealed' }, { backupCodes: ['h1', 'h2'] }, masks.clock());
  const shown = (await call('GET', `/actors/${alice.id}`)).json();
  t.match(shown, { second_factors: [{ id: 'app-1', kind: 'totp', name: 'Phone app' }], backup_codes_left: 2 });
  t.notOk(JSON.stringify(shown).includes('sealed'), 'never the secret');
  t.equal((await call('DELETE', `/actors/${alice.id}/second-factors/app-1`)).statusCode, 204);
  t.match((await call('GET', `/actors/${alice.id}`)).json(), { second_factors: [], backup_codes_left: 0 });
  isProblem(t, await call('DELETE', `/actors/${alice.id}/second-factors/app-1`), 404, 'gone');
  t.match((await call('GET', '/events?type=factor.removed')).json().events[0], { actor_id: alice.id, by: `client:${OPS.id}`, detail: { authenticator: 'app-1' } });
});
