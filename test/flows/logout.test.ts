import t from 'tap';
import { basic, post } from '../helpers/app.js';
import { headingOf, InjectBrowser, redirectQuery } from '../helpers/browser.js';
import { ALICE, authorizeUrl, codeOf, flowMasks, open, signIn, WEB } from './setup.js';

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
