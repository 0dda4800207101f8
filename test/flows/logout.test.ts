import t from 'tap';
import { basic, post } from '../helpers/app.js';
import { headingOf, InjectBrowser, redirectQuery } from '../helpers/browser.js';
import { ALICE, authorizeUrl, BOB, codeOf, flowMasks, open, signIn, WEB } from './setup.js';

async function signedIn(t: Parameters<typeof flowMasks>[0]) {
  const masks = await flowMasks(t);
  const browser = new InjectBrowser(masks.app);
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl(WEB))));
  const tokens = (await post(masks.app, '/token', { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect }, basic(WEB.id, WEB.secret))).json();
  return { ...masks, browser, idToken: tokens.id_token as string };
}

t.test('RP-initiated logout with id_token_hint and a registered post_logout_redirect_uri', async (t) => {
  const { app, browser, idToken } = await signedIn(t);
  const oldSession = browser.cookies.get('masks_session')!;
  const response = await browser.get(`/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://web.example/bye', state: 'bye-state' })}`);
  t.equal(response.statusCode, 302);
  t.equal(response.headers.location, 'https://web.example/bye?state=bye-state');
  t.notOk(browser.cookies.has('masks_session'), 'cookie cleared');
  const replayed = new InjectBrowser(app);
  replayed.cookies.set('masks_session', oldSession);
  replayed.cookies.set('masks_device', browser.cookies.get('masks_device')!);
  const none = await open(replayed, authorizeUrl(WEB, { prompt: 'none' }));
  t.equal(redirectQuery(none).get('error'), 'login_required', 'the old session cookie no longer works');
});

t.test('a missing or bad hint, or an unregistered URI: a confirmation page, never a redirect', async (t) => {
  const { browser, idToken } = await signedIn(t);
  const queries: Array<Record<string, string>> = [
    { post_logout_redirect_uri: 'https://web.example/bye' },
    { id_token_hint: 'bad.token.here', post_logout_redirect_uri: 'https://web.example/bye' },
    { id_token_hint: idToken, post_logout_redirect_uri: 'https://evil.example/' },
  ];
  for (const query of queries) {
    const page = await browser.get(`/logout?${new URLSearchParams(query)}`);
    t.equal(page.statusCode, 200, JSON.stringify(query));
    t.notOk(page.headers.location);
    t.equal(headingOf(page.body), 'Sign out?');
  }
  t.ok(browser.cookies.has('masks_session'), 'still signed in: GET alone did not sign out');
  const page = await browser.get(`/logout?${new URLSearchParams({ post_logout_redirect_uri: 'https://evil.example/', client_id: 'web' })}`);
  const confirmed = await browser.submit(page, {});
  t.equal(confirmed.statusCode, 200, 'an unregistered URI: no redirect after confirming either');
  t.equal(headingOf(confirmed.body), 'Signed out');
  t.notOk(browser.cookies.has('masks_session'));
});

t.test('the confirmation needs its CSRF token', async (t) => {
  const { browser } = await signedIn(t);
  const refused = await browser.post('/logout', {});
  t.equal(refused.statusCode, 403);
  t.ok(browser.cookies.has('masks_session'));
  const page = await browser.get('/logout?client_id=web&post_logout_redirect_uri=https%3A%2F%2Fweb.example%2Fbye&state=s');
  const done = await browser.submit(page, {});
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, 'https://web.example/bye?state=s');
});

t.test('logout ends the internal cookie too', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await browser.submit(await open(browser, '/authorize/intranet'), { identifier: 'alice', password: ALICE.password });
  const internal = browser.cookies.get('masks_internal')!;
  await browser.submit(await browser.get('/logout'), {});
  const stale = await app.inject({ url: '/verify', headers: { cookie: `masks_internal=${internal}` } });
  t.equal(stale.statusCode, 401, 'the old internal cookie is dead server-side');
});

t.test("one person's ID token never signs another out without asking", async (t) => {
  const { app, idToken } = await signedIn(t); // alice's token
  const bob = new InjectBrowser(app);
  codeOf(await signIn(bob, await open(bob, authorizeUrl(WEB)), BOB));
  const page = await bob.get(`/logout?${new URLSearchParams({ id_token_hint: idToken, post_logout_redirect_uri: 'https://web.example/bye', state: 's' })}`);
  t.equal(page.statusCode, 200, "alice's hint on bob's browser: a confirmation page");
  t.notOk(page.headers.location);
  t.equal(headingOf(page.body), 'Sign out?');
  t.ok(bob.cookies.has('masks_session'), 'bob is still signed in');
  const silent = await open(bob, authorizeUrl(WEB, { prompt: 'none' }));
  t.ok(redirectQuery(silent).get('code'), "bob's session still works");
  const confirmed = await bob.submit(page, {});
  t.equal(confirmed.statusCode, 303, 'once bob confirms, he is signed out and returned');
  t.equal(confirmed.headers.location, 'https://web.example/bye?state=s');
});

t.test("a hint from an earlier session of the same person asks too; this session's hint does not", async (t) => {
  const { app, browser, idToken: oldToken } = await signedIn(t);
  // Alice signs in again (a fresh password makes a new session with a new sid).
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl(WEB, { prompt: 'login' }))));
  const newToken = (await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect }, basic(WEB.id, WEB.secret))).json().id_token as string;
  const old = await browser.get(`/logout?${new URLSearchParams({ id_token_hint: oldToken, post_logout_redirect_uri: 'https://web.example/bye' })}`);
  t.equal(old.statusCode, 200, 'the old session is over: its sid does not name this one');
  t.ok(browser.cookies.has('masks_session'));
  const current = await browser.get(`/logout?${new URLSearchParams({ id_token_hint: newToken, post_logout_redirect_uri: 'https://web.example/bye' })}`);
  t.equal(current.statusCode, 302);
  t.equal(current.headers.location, 'https://web.example/bye');
  t.notOk(browser.cookies.has('masks_session'));
});

t.test('id_token_hint must be an ID token: a JWT access token is refused at /logout and /authorize', async (t) => {
  const { app, masks } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const { accessToken } = await import('../../src/oauth/issue.js');
  const web = (await masks.store.clients.find(WEB.id))!;
  const alice = (await masks.store.actors.findByIdentifier('alice'))!;
  const { subjectFor } = await import('../../src/oauth/subjects.js');
  const jwtClient = { ...web, settings: { ...web.settings, access_token_format: 'jwt' as const } };
  const { token } = await accessToken(masks, { client: jwtClient, scopes: ['openid'], grantType: 'authorization_code', sub: subjectFor(masks, web, alice), actorId: alice.id });
  codeOf(await signIn(browser, await open(browser, authorizeUrl(WEB))));
  const logout = await browser.get(`/logout?${new URLSearchParams({ id_token_hint: token, post_logout_redirect_uri: 'https://web.example/bye' })}`);
  t.equal(logout.statusCode, 200, 'an at+jwt is no hint: a confirmation page');
  t.ok(browser.cookies.has('masks_session'));
  const authorize = await open(browser, authorizeUrl(WEB, { id_token_hint: token, prompt: 'none' }));
  t.equal(redirectQuery(authorize).get('error'), 'invalid_request', 'refused at /authorize');
});
