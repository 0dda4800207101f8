import t from 'tap';
import { Semaphore } from '../../src/factors/password.js';
import { Busy } from '../../src/errors.js';
import { basic, post } from '../helpers/app.js';
import { InjectBrowser } from '../helpers/browser.js';
import { authorizeUrl, codeOf, flowMasks, open, OTHER, signIn } from './setup.js';

t.test('refresh tokens end at refresh_token_expires_in from the first issue, however often they rotate', async (t) => {
  const { app, clock } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const auth = basic(OTHER.id, OTHER.secret);
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  let refresh = (await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: OTHER.redirect }, auth)).json().refresh_token as string;
  for (let day = 0; day < 3; day++) {
    clock.advance(10 * 86_400);
    const response = await post(app, '/token', { grant_type: 'refresh_token', refresh_token: refresh }, auth);
    if (day < 2) {
      t.equal(response.statusCode, 200, `day ${(day + 1) * 10}`);
      refresh = response.json().refresh_token;
    } else {
      t.equal(response.json().error, 'invalid_grant', 'after 30 days the grant is over');
    }
  }
});

t.test('ID token and access token lifetimes come from the client', async (t) => {
  const { app } = await flowMasks(t, {
    seeds: {
      clients: [{ id: 'short', client_type: 'confidential', secret: 's'.repeat(40), redirect_uris: ['https://short.example/cb'], id_token_expires_in: '5m', access_token_expires_in: '2m', signing_alg: 'ES256', scopes: { allowed: ['openid'] } }],
      actors: [{ nickname: 'alice', password: 'alice-password' }],
    },
  });
  const browser = new InjectBrowser(app);
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl({ id: 'short', redirect: 'https://short.example/cb' }, { scope: 'openid' }))));
  const tokens = (await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: 'https://short.example/cb' }, basic('short', 's'.repeat(40)))).json();
  t.equal(tokens.expires_in, 120);
  const [header, payload] = tokens.id_token.split('.').slice(0, 2).map((part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  t.equal(payload.exp - payload.iat, 300);
  t.equal(header.alg, 'ES256', 'ES256 when the client asks for it');
});

t.test('discovery lists what is implemented', async (t) => {
  const { app } = await flowMasks(t);
  const doc = (await app.inject('/.well-known/openid-configuration')).json();
  t.match(doc, {
    issuer: 'http://localhost:5000',
    authorization_endpoint: 'http://localhost:5000/authorize',
    token_endpoint: 'http://localhost:5000/token',
    userinfo_endpoint: 'http://localhost:5000/userinfo',
    end_session_endpoint: 'http://localhost:5000/logout',
    jwks_uri: 'http://localhost:5000/jwks',
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
    subject_types_supported: ['pairwise', 'public'],
    id_token_signing_alg_values_supported: ['RS256', 'ES256'],
    authorization_response_iss_parameter_supported: true,
    request_parameter_supported: false,
    acr_values_supported: ['pwd'], // only what masks can reach today
    request_uri_parameter_supported: false, // must be said: its default is true (Discovery 3)
  });
  t.same((await app.inject('/.well-known/oauth-authorization-server')).json(), doc, 'RFC 8414 metadata is the same document');
});

t.test('themes: the client colours, as a stylesheet (no inline styles under the CSP)', async (t) => {
  const { app } = await flowMasks(t, {
    theme: { bg_light: '#eeeeee' },
    seeds: { clients: [{ id: 'blue', client_type: 'confidential', secret: 'b'.repeat(40), redirect_uris: ['https://blue.example/cb'], bg_light: '#cce', bg_dark: 'url(javascript:x)' }] },
  });
  t.equal((await app.inject('/assets/theme.css?client=blue')).body, ':root { --bg: #cce; }\n', 'the client colour; anything not a colour is dropped');
  t.equal((await app.inject('/assets/theme.css')).body, ':root { --bg: #eeeeee; }\n', 'the installation theme');
  const page = await app.inject(authorizeUrl({ id: 'blue', redirect: 'https://blue.example/cb' }, { scope: '' }));
  const signIn = await app.inject({ url: page.headers.location as string, headers: { cookie: `masks_device=${(page.cookies as Array<{ value: string }>)[0]!.value}` } });
  t.match(signIn.body, '<link rel="stylesheet" href="/assets/theme.css?client=blue">');
  t.notMatch(signIn.body, /style=/);
});

t.test('hashing concurrency is bounded: excess work is refused at once (503), not queued without end', async (t) => {
  const gate = new Semaphore(1, 1);
  let release!: () => void;
  const first = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
  const second = gate.run(async () => 'queued');
  await t.rejects(gate.run(async () => 'refused'), Busy);
  release();
  await first;
  t.equal(await second, 'queued');
});
