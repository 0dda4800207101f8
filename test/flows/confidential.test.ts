import t from 'tap';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { basic, post } from '../helpers/app.js';
import { headingOf, InjectBrowser, redirectQuery } from '../helpers/browser.js';
import { ALICE, authorizeUrl, BOB, codeOf, flowMasks, open, OTHER, signIn, WEB } from './setup.js';

const webAuth = basic(WEB.id, WEB.secret);
const exchange = (app: Parameters<typeof post>[0], code: string, auth = webAuth, redirect = WEB.redirect) =>
  post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: redirect }, auth);

t.test('a person signs in to a confidential client: code, tokens, ID token, userinfo', async (t) => {
  const { app, clock, masks } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, authorizeUrl(WEB, { scope: 'openid profile email', nonce: 'nonce-123', state: 'x'.repeat(500) }));
  t.equal(page.statusCode, 200);
  t.equal(headingOf(page.body), 'Sign in to Web');
  t.match(page.body, /<label for="identifier">Email or nickname<\/label>/);
  t.match(page.body, /<label for="password">Password<\/label>/);
  t.equal(page.headers['cache-control'], 'no-store');
  t.match(page.headers['content-security-policy'], /frame-ancestors 'none'/);
  t.equal(page.headers['referrer-policy'], 'no-referrer');
  t.match(browser.cookies.get('masks_device'), /^[\w-]+\.[\w-]+$/, 'a signed device cookie');
  const deviceId = browser.cookies.get('masks_device')!.split('.')[0]!;
  t.equal(await masks.store.signIns.device(deviceId), undefined, 'opening the page writes no device row (anyone can)');

  const consent = await signIn(browser, page);
  t.match(await masks.store.signIns.device(deviceId), { userAgent: 'test-browser/1.0', ip: '127.0.0.1', lastSeenAt: clock.now, blockedAt: null }, 'signing in records the device: user agent, address, last seen');
  const query = redirectQuery(consent);
  t.match(consent.headers.location, /^https:\/\/web\.example\/cb\?/);
  t.equal(query.get('state'), 'x'.repeat(500), 'state echoed unchanged, even when long');
  t.equal(query.get('iss'), 'http://localhost:5000', 'RFC 9207 iss');

  const response = await exchange(app, codeOf(consent));
  t.equal(response.statusCode, 200, response.body);
  t.equal(response.headers['cache-control'], 'no-store');
  const tokens = response.json();
  t.match(tokens, { token_type: 'Bearer', expires_in: 21600, scope: 'openid profile email' });
  t.ok(tokens.refresh_token);

  const jwks = createLocalJWKSet((await app.inject('/jwks')).json());
  const { payload, protectedHeader } = await jwtVerify(tokens.id_token, jwks, { issuer: 'http://localhost:5000', audience: WEB.id });
  t.equal(protectedHeader.alg, 'RS256');
  t.equal(payload.nonce, 'nonce-123');
  t.same(payload.amr, ['pwd']);
  t.equal(payload.acr, 'pwd', 'acr: the level reached, one factor');
  t.equal(payload.auth_time, clock.now);
  t.ok(payload.exp! > payload.iat!);
  t.ok(payload.at_hash && payload.sid);
  t.match(payload.sub, /^[0-9a-f-]{36}$/, 'pairwise-uuid by default');

  const userinfo = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } });
  t.equal(userinfo.statusCode, 200);
  t.same(userinfo.json(), { sub: payload.sub, nickname: 'alice', preferred_username: 'alice', updated_at: userinfo.json().updated_at, email: ALICE.email, email_verified: true, auth_time: payload.auth_time, acr: 'pwd', amr: ['pwd'] });
  const viaPost = await app.inject({ method: 'POST', url: '/userinfo', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `access_token=${tokens.access_token}` });
  t.equal(viaPost.json().sub, payload.sub, 'userinfo by POST body');
});

t.test('wrong password, unknown account: the same answer, and nothing signed in', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, authorizeUrl(WEB));
  const wrong = await browser.submit(page, { identifier: 'alice', password: 'not-her-password' });
  const unknown = await browser.submit(page, { identifier: 'nobody', password: 'not-her-password' });
  for (const response of [wrong, unknown]) {
    t.equal(response.statusCode, 401);
    t.match(response.body, 'That email or nickname and password do not match.');
  }
  t.equal(wrong.body.replace('value="alice"', ''), unknown.body.replace('value="nobody"', ''), 'the pages differ only in the echoed identifier');
  t.notOk(browser.cookies.has('masks_session'));
});

t.test('the identifier is found by email or nickname, normalised', async (t) => {
  const { app } = await flowMasks(t);
  for (const identifier of ['ALICE@Example.com', ' Alice ']) {
    const browser = new InjectBrowser(app);
    const page = await open(browser, authorizeUrl(OTHER));
    const done = await signIn(browser, page, { nickname: identifier, password: ALICE.password });
    t.ok(redirectQuery(done).get('code'), identifier);
  }
});

t.test('password guessing is slowed down per account and per address', async (t) => {
  const { app, clock } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, authorizeUrl(OTHER));
  for (let i = 0; i < 6; i++) await browser.submit(page, { identifier: 'alice', password: `guess-${i}` });
  const limited = await browser.submit(page, { identifier: 'alice', password: ALICE.password });
  t.equal(limited.statusCode, 429, 'even the right password waits');
  t.match(limited.body, /Too many attempts/);
  clock.advance(3600 + 1);
  t.equal((await signIn(browser, await open(browser, authorizeUrl(OTHER)))).statusCode, 303, 'the lockout ends');
});

t.test('a code works once; a replay revokes what it issued', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  const otherAuth = basic(OTHER.id, OTHER.secret);
  const first = await exchange(app, code, otherAuth, OTHER.redirect);
  t.equal(first.statusCode, 200);
  const replay = await exchange(app, code, otherAuth, OTHER.redirect);
  t.equal(replay.statusCode, 400);
  t.same(replay.json(), { error: 'invalid_grant', error_description: 'the code was already used; the tokens issued with it are revoked' });
  const introspect = await post(app, '/introspect', { token: first.json().access_token }, otherAuth);
  t.same(introspect.json(), { active: false }, 'the access token from the first redemption is revoked');
  const refresh = await post(app, '/token', { grant_type: 'refresh_token', refresh_token: first.json().refresh_token }, otherAuth);
  t.equal(refresh.json().error, 'invalid_grant', 'and its refresh token');
});

t.test('twenty parallel redemptions: exactly one succeeds', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  const results = await Promise.all(Array.from({ length: 20 }, () => exchange(app, code, basic(OTHER.id, OTHER.secret), OTHER.redirect)));
  t.equal(results.filter((r) => r.statusCode === 200).length, 1);
});

t.test('codes are bound to client and redirect_uri and expire', async (t) => {
  const { app, clock } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const fresh = async () => codeOf(await open(browser, authorizeUrl(OTHER)));
  await signIn(browser, await open(browser, authorizeUrl(OTHER)));
  const otherAuth = basic(OTHER.id, OTHER.secret);
  t.equal((await exchange(app, await fresh(), webAuth, OTHER.redirect)).json().error, 'invalid_grant', 'another client');
  t.equal((await exchange(app, await fresh(), otherAuth, 'https://other.example/elsewhere')).json().error, 'invalid_grant', 'another redirect_uri');
  const late = await fresh();
  clock.advance(601);
  t.equal((await exchange(app, late, otherAuth, OTHER.redirect)).json().error, 'invalid_grant', 'after 10 minutes');
  t.equal((await exchange(app, 'made-up', otherAuth, OTHER.redirect)).json().error, 'invalid_grant');
});

t.test('refresh tokens rotate; reuse revokes the grant; scope only shrinks', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  const auth = basic(OTHER.id, OTHER.secret);
  const first = (await exchange(app, code, auth, OTHER.redirect)).json();
  const refresh = (token: string, extra: Record<string, string> = {}) => post(app, '/token', { grant_type: 'refresh_token', refresh_token: token, ...extra }, auth);

  const wider = await refresh(first.refresh_token, { scope: 'openid profile email' });
  t.same(wider.json(), { error: 'invalid_scope', error_description: 'scope can only shrink; not granted: email' });
  const second = await refresh(first.refresh_token, { scope: 'openid' });
  t.equal(second.statusCode, 200);
  t.equal(second.json().scope, 'openid');
  t.not(second.json().refresh_token, first.refresh_token, 'rotated');
  t.ok(second.json().id_token);
  const byOther = await post(app, '/token', { grant_type: 'refresh_token', refresh_token: second.json().refresh_token }, webAuth);
  t.equal(byOther.json().error, 'invalid_grant', 'bound to the client');

  const reuse = await refresh(first.refresh_token);
  t.same(reuse.json(), { error: 'invalid_grant', error_description: 'the refresh token was already used; the grant is revoked' });
  t.equal((await refresh(second.json().refresh_token)).json().error, 'invalid_grant', 'the newest refresh token is revoked too');
  t.same((await post(app, '/introspect', { token: second.json().access_token }, auth)).json(), { active: false }, 'and its access token');
});

t.test('single sign-on to a second client skips the form', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, authorizeUrl(WEB)));
  const second = await open(browser, authorizeUrl(OTHER));
  t.equal(second.statusCode, 302);
  t.match(second.headers.location, /^https:\/\/other\.example\/cb\?code=/);
});

t.test('SSO ends after sso_factor_expires_in; the same client keeps the password for password_factor_expires_in', async (t) => {
  const { app, clock } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, authorizeUrl(WEB)));
  clock.advance(3 * 3600 + 1);
  t.equal((await open(browser, authorizeUrl(WEB))).statusCode, 302, 'same client: still signed in');
  t.equal(headingOf((await open(browser, authorizeUrl(OTHER))).body), 'Sign in to Other', 'another client: asks again');
  clock.advance(86_400);
  t.equal(headingOf((await open(browser, authorizeUrl(WEB))).body), 'Sign in to Web', 'after a day: asks again');
});

t.test('prompt=none, prompt=login, max_age', async (t) => {
  const { app, clock } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const none = await open(browser, authorizeUrl(OTHER, { prompt: 'none' }));
  t.equal(none.statusCode, 302);
  const query = redirectQuery(none);
  t.equal(query.get('error'), 'login_required');
  t.equal(query.get('state'), 'state-1');
  t.equal(query.get('iss'), 'http://localhost:5000');

  const firstCode = codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  const auth = basic(OTHER.id, OTHER.secret);
  const firstId = (await exchange(app, firstCode, auth, OTHER.redirect)).json().id_token as string;
  const authTime = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).auth_time as number;
  t.equal(redirectQuery(await open(browser, authorizeUrl(OTHER, { prompt: 'none' }))).has('code'), true, 'prompt=none with a session');

  clock.advance(60);
  const login = await open(browser, authorizeUrl(OTHER, { prompt: 'login' }));
  t.equal(headingOf(login.body), 'Sign in to Other', 'prompt=login asks again');
  const secondId = (await exchange(app, codeOf(await signIn(browser, login)), auth, OTHER.redirect)).json().id_token as string;
  t.ok(authTime(secondId) > authTime(firstId), 'with a later auth_time');

  clock.advance(60);
  t.equal(redirectQuery(await open(browser, authorizeUrl(OTHER, { max_age: '3600' }))).has('code'), true, 'max_age not elapsed');
  t.equal(headingOf((await open(browser, authorizeUrl(OTHER, { max_age: '30' }))).body), 'Sign in to Other', 'max_age elapsed');
  t.equal(headingOf((await open(browser, authorizeUrl(OTHER, { max_age: '0' }))).body), 'Sign in to Other', 'max_age=0');
  const withMaxAge = await exchange(app, codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER, { max_age: '0' })))), auth, OTHER.redirect);
  t.ok(authTime(withMaxAge.json().id_token), 'auth_time present with max_age');
});

t.test('id_token_hint for another person gives no tokens', async (t) => {
  const { app } = await flowMasks(t);
  const auth = basic(OTHER.id, OTHER.secret);
  const aliceBrowser = new InjectBrowser(app);
  const aliceId = (await exchange(app, codeOf(await signIn(aliceBrowser, await open(aliceBrowser, authorizeUrl(OTHER)))), auth, OTHER.redirect)).json().id_token;
  const bobBrowser = new InjectBrowser(app);
  await signIn(bobBrowser, await open(bobBrowser, authorizeUrl(OTHER)), BOB);
  const response = await open(bobBrowser, authorizeUrl(OTHER, { prompt: 'none', id_token_hint: aliceId }));
  t.equal(redirectQuery(response).get('error'), 'login_required');
  const own = await open(aliceBrowser, authorizeUrl(OTHER, { prompt: 'none', id_token_hint: aliceId }));
  t.ok(redirectQuery(own).get('code'), 'the right person gets a code');
  const garbage = await open(aliceBrowser, authorizeUrl(OTHER, { id_token_hint: 'not.a.jwt' }));
  t.equal(redirectQuery(garbage).get('error'), 'invalid_request');
});

t.test('consent: listed, remembered, asked again when scopes grow, deny is access_denied', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, authorizeUrl(WEB, { scope: 'openid profile' }));
  const consent = await browser.get((await browser.submit(page, { identifier: 'alice', password: ALICE.password })).headers.location as string);
  t.equal(headingOf(consent.body), 'Allow Web?');
  t.match(consent.body, /Know who you are <code>openid<\/code>/);
  t.match(consent.body, /See your name and nickname <code>profile<\/code>/);
  const allowed = await browser.submit(consent, {}, { name: 'decision', value: 'allow' });
  t.equal(allowed.statusCode, 303, 'a 303 after the form');
  t.ok(redirectQuery(allowed).get('code'));
  t.ok(redirectQuery(await open(browser, authorizeUrl(WEB, { scope: 'openid' }))).get('code'), 'remembered');
  const more = await open(browser, authorizeUrl(WEB, { scope: 'openid email' }));
  t.equal(headingOf(more.body), 'Allow Web?', 'asked again for more');
  const denied = await browser.submit(more, {}, { name: 'decision', value: 'deny' });
  const query = redirectQuery(denied);
  t.equal(query.get('error'), 'access_denied');
  t.equal(query.get('state'), 'state-1');
});

t.test('prompt=none with consent missing is consent_required', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, authorizeUrl(OTHER)));
  const response = await open(browser, authorizeUrl(WEB, { prompt: 'none' }));
  t.equal(redirectQuery(response).get('error'), 'consent_required');
});

t.test('a blocked device is denied with a clear page', async (t) => {
  const { app, masks } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, authorizeUrl(OTHER)));
  const deviceId = browser.cookies.get('masks_device')!.split('.')[0]!;
  await masks.store.signIns.blockDevice(deviceId, masks.clock());
  const page = await open(browser, authorizeUrl(OTHER));
  t.equal(page.statusCode, 403);
  t.equal(headingOf(page.body), 'This device is blocked');
  t.notOk(page.headers.location);
});

t.test('CSRF: a form without its token, or posted from another origin, is refused', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, authorizeUrl(OTHER));
  const action = /action="([^"]+)"/.exec(page.body)![1]!;
  const noToken = await browser.post(action, { identifier: 'alice', password: ALICE.password });
  t.equal(noToken.statusCode, 403);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const crossSite = await browser.post(action, { csrf, identifier: 'alice', password: ALICE.password }, { origin: 'https://evil.example' });
  t.equal(crossSite.statusCode, 403);
  const otherBrowser = new InjectBrowser(app);
  await open(otherBrowser, authorizeUrl(OTHER));
  const stolen = await otherBrowser.post(action, { csrf, identifier: 'alice', password: ALICE.password });
  t.equal(stolen.statusCode, 404, 'another browser cannot use this attempt');
  const ok = await browser.post(action, { csrf, identifier: 'alice', password: ALICE.password }, { origin: 'null' });
  t.equal(ok.statusCode, 303, 'Origin: null (no-referrer pages) is fine with the token');
});

t.test('a new session id at sign-in (no fixation)', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  browser.cookies.set('masks_session', 'planted-by-attacker');
  await signIn(browser, await open(browser, authorizeUrl(OTHER)));
  const first = browser.cookies.get('masks_session');
  t.ok(first && first !== 'planted-by-attacker');
  await signIn(browser, await open(browser, authorizeUrl(OTHER, { prompt: 'login' })));
  t.not(browser.cookies.get('masks_session'), first, 'signing in again renews it');
});
