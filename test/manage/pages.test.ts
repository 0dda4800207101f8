/** /manage through app.inject: who gets in, CSRF on every form, and each page's actions. */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { makeMasks } from '../helpers/app.js';
import { headingOf, InjectBrowser } from '../helpers/browser.js';
import { ALICE, flowYaml, open, signIn } from '../flows/setup.js';

const MANAGER = { nickname: 'manager', password: 'manager-password' };
const csrfOf = (html: string) => /name="csrf" value="([^"]*)"/.exec(html)![1]!;

t.test('/manage: sign-in first, managers only, CSRF on every form', async (t) => {
  const { app } = await makeMasks(t, { yaml: flowYaml() });
  const anonymous = await app.inject('/manage/actors');
  t.equal(anonymous.statusCode, 302);
  t.equal(anonymous.headers.location, '/authorize/manage?rd=%2Fmanage%2Factors', 'to the sign-in, and back to the page');
  t.equal((await app.inject({ method: 'POST', url: '/manage/clients', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'id=x' })).statusCode, 401);

  const staff = new InjectBrowser(app);
  await signIn(staff, await open(staff, '/authorize/intranet'), ALICE);
  const refused = await staff.get('/manage');
  t.equal(refused.statusCode, 403, 'signed in without masks:manage');
  t.match(refused.body, 'masks:manage');

  const manager = new InjectBrowser(app);
  await signIn(manager, await open(manager, '/manage'), MANAGER);
  const home = await manager.get('/manage');
  t.equal(headingOf(home.body), 'Clients');
  t.equal((await manager.post('/manage/clients', { id: 'x', client_type: 'public' })).statusCode, 403, 'no CSRF token');
  t.equal((await manager.post('/manage/clients', { csrf: 'forged', id: 'x', client_type: 'public' })).statusCode, 403, 'a forged one');
});

t.test('/manage: clients, actors, links and events', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml() });
  const manager = new InjectBrowser(m.app);
  await signIn(manager, await open(manager, '/manage'), MANAGER);
  const csrf = csrfOf((await manager.get('/manage')).body);

  const bad = await manager.post('/manage/clients', { csrf, id: 'bad id!', client_type: 'public' });
  t.equal(bad.statusCode, 422);
  t.match(bad.body, 'the id must be');
  t.match(bad.body, 'value="bad id!"', 'what was typed is kept');
  const internal = await manager.post('/manage/clients', { csrf, id: 'wiki', name: 'Wiki', client_type: 'internal', redirect_uris: 'https://wiki.example.com/' });
  t.equal(internal.statusCode, 201);
  t.match(internal.body, 'auth_request /_masks_verify;', 'an nginx snippet');
  t.match(internal.body, 'forwardAuth:', 'a Traefik one');
  t.match(internal.body, 'forward_auth localhost:5000', 'a Caddy one');
  t.notMatch(internal.body, 'Client secret', 'an internal client has no secret');
  const seeded = await manager.get('/manage/clients/web');
  t.match(seeded.body, 'declared in masks.yml');
  t.notMatch(seeded.body, 'Delete client', 'a seeded client cannot be deleted here');
  const deleted = await manager.post('/manage/clients/wiki/delete', { csrf });
  t.equal(deleted.headers.location, '/manage');
  t.equal((await manager.get('/manage/clients/wiki')).statusCode, 404);
  t.equal((await manager.post('/manage/clients/web/delete', { csrf })).statusCode, 409, 'nor by a forged post');

  const invited = await manager.post('/manage/actors', { csrf, email: 'dana@example.com', invite: 'yes' });
  t.match(invited.body, 'Invitation sent to dana@example.com');
  const outbox = path.join(m.config.data, 'outbox');
  for (let i = 0; i < 100 && !(existsSync(outbox) && readdirSync(outbox).length > 0); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(readdirSync(outbox).length, 1, 'the invitation is on its way');
  t.equal((await manager.post('/manage/actors', { csrf, nickname: 'dana@x' })).statusCode, 422, 'a rule broken is said on the page');
  const alice = (await m.masks.store.actors.findByIdentifier('alice'))!;
  t.match((await manager.post(`/manage/actors/${alice.id}/link`, { csrf })).body, 'A link to choose a new password was sent to alice@example.com');
  const disabled = await manager.post(`/manage/actors/${alice.id}/disable`, { csrf });
  t.equal(disabled.headers.location, '/manage/actors');
  t.not((await m.masks.store.actors.find(alice.id))!.disabledAt, null);
  const self = (await m.masks.store.actors.findByIdentifier('manager'))!;
  t.match((await manager.post(`/manage/actors/${self.id}/disable`, { csrf })).body, 'cannot change your own scopes or disable yourself');

  const enabled = await manager.post(`/manage/actors/${alice.id}/enable`, { csrf });
  t.equal(enabled.headers.location, '/manage/actors');
  const laptop = new InjectBrowser(m.app, 'laptop/1.0');
  const phone = new InjectBrowser(m.app, 'phone/1.0');
  await signIn(laptop, await open(laptop, '/authorize/intranet'), ALICE);
  await signIn(phone, await open(phone, '/authorize/intranet'), ALICE);
  const detail = await manager.get(`/manage/actors/${alice.id}`);
  t.match(detail.body, 'laptop/1.0');
  t.match(detail.body, 'phone/1.0');
  const [laptopSession] = (await m.masks.store.signIns.sessionsOf(alice.id, m.masks.clock())).filter((s) => s.device?.userAgent === 'laptop/1.0');
  const ended = await manager.post(`/manage/sessions/${laptopSession!.id}/end`, { csrf, actor: alice.id });
  t.match(ended.body, 'The session was ended');
  t.equal((await laptop.get('/session')).statusCode, 401, 'the laptop is signed out');
  t.equal((await phone.get('/session')).statusCode, 200, 'the phone is not');
  const blocked = await manager.post(`/manage/devices/${laptopSession!.deviceId}/block`, { csrf, actor: alice.id });
  t.match(blocked.body, 'The device is blocked');
  t.equal((await open(laptop, '/authorize/intranet')).statusCode, 403, 'no sign-in from the blocked laptop');
  t.match((await manager.post(`/manage/actors/${alice.id}/sign-out`, { csrf })).body, 'Signed out everywhere');
  t.equal((await phone.get('/session')).statusCode, 401, 'the phone too, now');
  t.equal((await manager.post(`/manage/actors/${alice.id}/factors/nope/remove`, { csrf })).statusCode, 404);
  t.equal((await manager.get('/manage/actors/nobody')).statusCode, 404);

  const events = await manager.get('/manage/events?type=actor.*');
  t.match(events.body, 'actor.disabled');
  t.match(events.body, 'actor.created');
  t.notMatch(events.body, 'client.deleted', 'filtered by family');
  t.match((await manager.get('/manage/events?client=wiki')).body, 'client.deleted');
});

t.test('a client logo: an https URL shown on its sign-in page, its origin alone added to img-src; anything else refused', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml() });
  const manager = new InjectBrowser(m.app);
  await signIn(manager, await open(manager, '/manage'), MANAGER);
  const csrf = csrfOf((await manager.get('/manage')).body);
  t.equal((await manager.post('/manage/clients', { csrf, id: 'shop', client_type: 'public', redirect_uris: 'https://shop.example/cb', scopes: 'openid' })).statusCode, 201);
  const { manageCsrfToken } = await import('../../src/manage/auth.js');
  const row = (await m.masks.store.tokens.live(manager.cookies.get('masks_internal')!, ['internal_token'], m.masks.clock()))!;
  const patch = (body: unknown) =>
    m.app.inject({ method: 'PATCH', url: '/api/manage/clients/shop', headers: { cookie: [...manager.cookies].map(([n, v]) => `${n}=${v}`).join('; '), 'content-type': 'application/merge-patch+json', 'x-csrf-token': manageCsrfToken(m.masks, row.sid!) }, payload: JSON.stringify(body) });
  for (const bad of ['javascript:alert(1)', 'http://cdn.example/logo.png', 'data:image/svg+xml,<svg/>', 'not a url', 'https://*/x.png', 'https://evil.com;script-src/x.png', 'https://e.com,default-src/x', "https://a'unsafe-inline'/x"]) {
    t.equal((await patch({ logo_uri: bad })).statusCode, 422, bad);
  }
  t.equal((await patch({ logo_uri: 'https://cdn.example/logo.png?v=1' })).statusCode, 200);
  const person = new InjectBrowser(m.app);
  const signInPage = await open(person, `/authorize?client_id=shop&response_type=code&redirect_uri=${encodeURIComponent('https://shop.example/cb')}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256&scope=openid`);
  t.equal(headingOf(signInPage.body), 'Sign in to shop');
  t.match(signInPage.body, '<img src="https://cdn.example/logo.png?v=1"');
  t.match(signInPage.headers['content-security-policy'], "img-src 'self' data: https://cdn.example;", 'only that origin');
  const other = await manager.get('/manage');
  t.match(other.headers['content-security-policy'], "img-src 'self' data:;", 'other pages load nothing from elsewhere');
});
