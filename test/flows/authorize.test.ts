import t from 'tap';
import { headingOf, InjectBrowser, redirectQuery } from '../helpers/browser.js';
import { makeMasks } from '../helpers/app.js';
import { authorizeUrl, flowMasks, flowYaml, open, OTHER, signIn, SPA, WEB } from './setup.js';

t.test('redirect_uri must match exactly: every variation is an error page, never a redirect', async (t) => {
  const { app } = await flowMasks(t);
  const variations = [
    'https://WEB.example/cb',
    'HTTPS://web.example/cb',
    'https://web.example:443/cb',
    'https://web.example/cb/',
    'https://web.example/cbx',
    'https://web.example/cb?x=1',
    'https://web.example/cb#frag',
    'https://web.example/cb/../cb',
    'https://web.example/%2e%2e/cb',
    'https://web.example/cb%00',
    'https://user@web.example/cb',
    'https://web.example@evil.example/cb',
    'http://web.example/cb',
    'https://evil.example/cb',
  ];
  for (const redirect of variations) {
    const response = await app.inject(authorizeUrl({ id: WEB.id, redirect }));
    t.equal(response.statusCode, 400, redirect);
    t.notOk(response.headers.location, `${redirect}: no redirect`);
    t.equal(headingOf(response.body), 'Invalid sign-in link', redirect);
  }
});

t.test('unknown client, missing redirect_uri with several: error pages; the page escapes what it shows', async (t) => {
  const { app } = await makeMasks(t, {
    yaml: flowYaml({ seeds: { clients: [{ id: 'two', client_type: 'confidential', secret: 'x'.repeat(40), redirect_uris: ['https://a.example/cb', 'https://b.example/cb'] }] } }),
  });
  const unknown = await app.inject('/authorize?client_id=%3Cscript%3Ealert(1)%3C/script%3E&response_type=code&redirect_uri=https://evil.example/');
  t.equal(unknown.statusCode, 400);
  t.notOk(unknown.headers.location);
  t.notMatch(unknown.body, '<script>');
  const missing = await app.inject('/authorize?client_id=two&response_type=code');
  t.equal(missing.statusCode, 400);
  t.notOk(missing.headers.location);
});

t.test('with one registered redirect_uri it may be left out', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, `/authorize?client_id=${OTHER.id}&response_type=code&scope=openid`);
  t.equal(headingOf(page.body), 'Sign in to Other');
});

t.test('after the redirect_uri is verified, errors go back to the client with state and iss', async (t) => {
  const { app } = await flowMasks(t);
  const cases: Array<[Record<string, string>, string]> = [
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ response_type: '' }, 'invalid_request'],
    [{ scope: 'openid admin' }, 'invalid_scope'],
    [{ prompt: 'none login' }, 'invalid_request'],
    [{ prompt: 'select_account' }, 'invalid_request'],
    [{ max_age: '-1' }, 'invalid_request'],
    [{ code_challenge: 'short', code_challenge_method: 'S256' }, 'invalid_request'],
    [{ code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' }, 'invalid_request'],
    [{ request: 'eyJ...' }, 'request_not_supported'],
    [{ request_uri: 'https://rp.example/request.jwt' }, 'request_uri_not_supported'],
    [{ registration: '{}' }, 'registration_not_supported'],
  ];
  for (const [params, error] of cases) {
    const response = await app.inject(authorizeUrl(OTHER, params));
    t.equal(response.statusCode, 302, JSON.stringify(params));
    const query = redirectQuery(response);
    t.match(response.headers.location, /^https:\/\/other\.example\/cb\?/);
    t.equal(query.get('error'), error, JSON.stringify(params));
    t.equal(query.get('state'), 'state-1');
    t.equal(query.get('iss'), 'http://localhost:5000');
  }
  const repeated = await app.inject(`${authorizeUrl(OTHER)}&scope=openid`);
  t.equal(redirectQuery(repeated).get('error'), 'invalid_request', 'a repeated parameter');
  const unknownParam = await app.inject(authorizeUrl(OTHER, { frobnicate: '1', ui_locales: 'de' }));
  t.equal(unknownParam.statusCode, 302);
  t.match(unknownParam.headers.location, /^\/sign-in\//, 'unknown parameters are ignored');
});

t.test('POST /authorize works like GET', async (t) => {
  const { app } = await flowMasks(t);
  const response = await app.inject({
    method: 'POST',
    url: '/authorize',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ client_id: OTHER.id, response_type: 'code', redirect_uri: OTHER.redirect, scope: 'openid' }).toString(),
  });
  t.equal(response.statusCode, 303, 'a redirect answering a POST is a 303');
  t.match(response.headers.location, /^\/sign-in\//);
  const error = await app.inject({
    method: 'POST',
    url: '/authorize',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ client_id: OTHER.id, response_type: 'token', redirect_uri: OTHER.redirect, scope: 'openid', state: 's' }).toString(),
  });
  t.equal(error.statusCode, 303, 'an error sent back to the client after a POST: 303 too');
  t.equal(redirectQuery(error).get('error'), 'unsupported_response_type');
});

t.test('loopback redirect URIs may vary the port only (RFC 8252 7.3)', async (t) => {
  const { app } = await flowMasks(t);
  const ok = await app.inject(authorizeUrl({ id: SPA.id, redirect: 'http://127.0.0.1:53682/callback' }, { code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }));
  t.equal(ok.statusCode, 302);
  t.match(ok.headers.location, /^\/sign-in\//);
  for (const redirect of ['http://127.0.0.1:53682/other', 'http://localhost:53682/callback', 'https://127.0.0.1:53682/callback']) {
    const bad = await app.inject(authorizeUrl({ id: SPA.id, redirect }, { code_challenge: 'a'.repeat(43), code_challenge_method: 'S256' }));
    t.equal(bad.statusCode, 400, redirect);
  }
});

t.test('fuzzy_redirect_uri (opt-in) and autofill_redirect_uri (opt-in)', async (t) => {
  const { app, masks } = await makeMasks(t, {
    yaml: flowYaml({
      seeds: {
        clients: [
          { id: 'fuzzy', client_type: 'confidential', secret: 'f'.repeat(40), fuzzy_redirect_uri: true, redirect_uris: ['https://*.preview.example/cb'], scopes: { allowed: ['openid'] } },
          { id: 'strict', client_type: 'confidential', secret: 's'.repeat(40), redirect_uris: ['https://*.preview.example/cb'], scopes: { allowed: ['openid'] } },
          { id: 'auto', client_type: 'confidential', secret: 'a'.repeat(40), autofill_redirect_uri: true, scopes: { allowed: ['openid'] } },
        ],
      },
    }),
  });
  const go = (id: string, redirect: string) => app.inject(authorizeUrl({ id, redirect }, { scope: 'openid' }));
  t.equal((await go('fuzzy', 'https://pr-42.preview.example/cb')).statusCode, 302);
  t.equal((await go('fuzzy', 'https://evil.example/x.preview.example/cb')).statusCode, 400);
  t.equal((await go('fuzzy', 'https://a.b.preview.example/cb')).statusCode, 400, 'one label only');
  t.equal((await go('strict', 'https://pr-42.preview.example/cb')).statusCode, 400, 'a * is literal without the opt-in');
  t.equal((await go('auto', 'https://first.example/cb')).statusCode, 302, 'first use registers');
  t.same((await masks.store.clients.find('auto'))!.redirectUris, ['https://first.example/cb']);
  t.equal((await go('auto', 'https://second.example/cb')).statusCode, 400, 'later ones must match');
});

t.test('public clients: PKCE S256 required, token endpoint auth none', async (t) => {
  const { app } = await flowMasks(t);
  const { createHash, randomBytes } = await import('node:crypto');
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');

  const missing = await app.inject(authorizeUrl(SPA));
  t.equal(redirectQuery(missing).get('error'), 'invalid_request');
  t.equal(redirectQuery(missing).get('error_description'), 'public clients must use PKCE (code_challenge with S256)');

  const browser = new InjectBrowser(app);
  const done = await signIn(browser, await open(browser, authorizeUrl(SPA, { code_challenge: challenge, code_challenge_method: 'S256' })));
  const code = redirectQuery(done).get('code')!;
  const token = (fields: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
  const wrong = await token({ grant_type: 'authorization_code', code, redirect_uri: SPA.redirect, client_id: SPA.id, code_verifier: randomBytes(32).toString('base64url') });
  t.same(wrong.json(), { error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' });
  const none = await token({ grant_type: 'authorization_code', code, redirect_uri: SPA.redirect, client_id: SPA.id });
  t.same(none.json(), { error: 'invalid_request', error_description: 'code_verifier is missing' });
  const ok = await token({ grant_type: 'authorization_code', code, redirect_uri: SPA.redirect, client_id: SPA.id, code_verifier: verifier });
  t.equal(ok.statusCode, 200, ok.body);
  t.ok(ok.json().id_token);
  const refreshed = await token({ grant_type: 'refresh_token', refresh_token: ok.json().refresh_token, client_id: SPA.id });
  t.equal(refreshed.statusCode, 200, 'public clients refresh with client_id alone');
});

t.test('a verifier for a code issued without a challenge is refused (downgrade)', async (t) => {
  const { app } = await flowMasks(t);
  const { basic, post } = await import('../helpers/app.js');
  const browser = new InjectBrowser(app);
  const code = redirectQuery(await signIn(browser, await open(browser, authorizeUrl(OTHER)))).get('code')!;
  const response = await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: OTHER.redirect, code_verifier: 'v'.repeat(43) }, basic(OTHER.id, OTHER.secret));
  t.same(response.json(), { error: 'invalid_grant', error_description: 'code_verifier sent for a code issued without code_challenge' });
});
