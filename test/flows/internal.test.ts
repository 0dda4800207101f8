import t from 'tap';
import { headingOf, InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, BOB, flowMasks, open, OTHER, signIn } from './setup.js';

t.test('internal client: the cookie on the cookie domain, /session and /verify', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, '/authorize/intranet?rd=https://wiki.example.com/page?x=1');
  t.equal(headingOf(page.body), 'Sign in to Intranet');
  const signedIn = await browser.submit(page, { identifier: 'alice', password: ALICE.password });
  t.equal(signedIn.statusCode, 303);
  t.equal(signedIn.headers.location, 'https://wiki.example.com/page?x=1', 'back to where the person was going');
  const cookie = (signedIn.cookies as Array<{ name: string; domain?: string; httpOnly?: boolean; sameSite?: string; maxAge?: number }>).find((c) => c.name === 'masks_internal')!;
  t.equal(cookie.domain, 'example.com');
  t.equal(cookie.httpOnly, true);
  t.equal(cookie.sameSite, 'Lax');
  t.equal(cookie.maxAge, 86_400, 'internal_token_expires_in');
  t.notOk(/code=/.test(signedIn.headers.location as string), 'no OAuth artifacts');

  const session = await browser.get('/session');
  t.equal(session.statusCode, 200);
  t.match(session.json(), { signed_in: true, client_id: 'intranet', nickname: 'alice', email: ALICE.email, scopes: ['staff'] });
  const verify = await browser.get('/verify');
  t.equal(verify.statusCode, 200);
  t.equal(verify.headers['remote-user'], 'alice');
  t.equal(verify.headers['remote-email'], ALICE.email);
  t.equal(verify.headers['remote-groups'], 'staff');

  const anonymous = new InjectBrowser(app);
  t.equal((await anonymous.get('/session')).statusCode, 401);
  t.equal((await anonymous.get('/verify')).statusCode, 401, 'nginx auth_request wants 401');
  const toSignIn = await anonymous.get('/verify?client_id=intranet&rd=https%3A%2F%2Fwiki.example.com%2F');
  t.equal(toSignIn.statusCode, 302);
  t.equal(toSignIn.headers.location, 'http://localhost:5000/authorize/intranet?rd=https%3A%2F%2Fwiki.example.com%2F');
});

t.test('internal clients never ask for consent; scopes.required the actor lacks: access denied naming them', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, '/authorize/intranet');
  const denied = await signIn(browser, page, BOB);
  t.equal(denied.statusCode, 403);
  t.equal(headingOf(denied.body), 'Access denied');
  t.match(denied.body, /requires: staff/);
  t.notOk(browser.cookies.has('masks_internal'));
});

t.test('the return address is restricted to registered URIs, masks itself and the cookie domain', async (t) => {
  const { app } = await flowMasks(t);
  for (const rd of ['https://evil.example/', '//evil.example/', 'https://example.com.evil.example/', 'javascript:alert(1)']) {
    const response = await app.inject(`/authorize/intranet?rd=${encodeURIComponent(rd)}`);
    t.equal(response.statusCode, 400, rd);
    t.notOk(response.headers.location, rd);
  }
  for (const rd of ['/manage', 'https://other.example.com/x']) {
    const response = await app.inject(`/authorize/intranet?rd=${encodeURIComponent(rd)}`);
    t.equal(response.statusCode, 302, rd);
  }
  const oauthClient = await app.inject('/authorize/web');
  t.equal(oauthClient.statusCode, 400, 'OAuth clients use /authorize');
  const internalViaOauth = await app.inject('/authorize?client_id=intranet&response_type=code');
  t.equal(internalViaOauth.statusCode, 400);
});

t.test('a planted second cookie never switches accounts: two of one name count as none', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await browser.submit(await open(browser, '/authorize/intranet'), { identifier: 'alice', password: ALICE.password });
  const real = browser.cookies.get('masks_internal')!;
  const response = await app.inject({ url: '/verify', headers: { cookie: `masks_internal=planted-value; masks_internal=${real}` } });
  t.equal(response.statusCode, 401);
  const forged = await app.inject({ url: '/session', headers: { cookie: 'masks_internal=forged' } });
  t.equal(forged.statusCode, 401);
});

t.test('the management client admits only masks:manage', async (t) => {
  const { app } = await flowMasks(t, { manager: { password: 'manager-password' } });
  const manager = new InjectBrowser(app);
  const done = await manager.submit(await open(manager, '/authorize/manage'), { identifier: 'manager', password: 'manager-password' });
  t.equal(done.statusCode, 303);
  t.equal(done.headers.location, 'http://localhost:5000/manage', 'to /manage, resolved against masks as the browser would');
  t.equal((await manager.get('/verify?client_id=manage')).statusCode, 200);
  const alice = new InjectBrowser(app);
  const denied = await alice.submit(await open(alice, '/authorize/manage'), { identifier: 'alice', password: ALICE.password });
  t.equal(denied.statusCode, 403);
  t.match(denied.body, /masks:manage/);
  const aliceIntranet = new InjectBrowser(app);
  await aliceIntranet.submit(await open(aliceIntranet, '/authorize/intranet'), { identifier: 'alice', password: ALICE.password });
  t.equal((await aliceIntranet.get('/verify?client_id=manage')).statusCode, 403, 'signed in, but not a manager');
  t.equal((await aliceIntranet.get('/verify?client_id=no-such-client')).statusCode, 403, 'a misconfigured proxy naming an unknown client lets nobody in');
  t.equal((await aliceIntranet.get('/verify?client_id=intranet')).statusCode, 200);
});

t.test('a fresh sign-in that ends the old session kills its internal cookie at once', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await browser.submit(await open(browser, '/authorize/intranet'), { identifier: 'alice', password: ALICE.password });
  const internal = browser.cookies.get('masks_internal')!;
  const verify = () => app.inject({ url: '/verify', headers: { cookie: `masks_internal=${internal}` } });
  t.equal((await verify()).statusCode, 200, 'read (and cached) while the session lives');
  await signIn(browser, await open(browser, authorizeUrl(OTHER, { prompt: 'login' })));
  t.equal((await verify()).statusCode, 401, 'the next request already sees it ended: no cache outlives the write');
});
