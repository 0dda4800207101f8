import t from 'tap';
import * as oidc from 'openid-client';
import { tempDir } from '../helpers/app.js';
import { fetchTransport, InjectBrowser, type Page } from '../helpers/browser.js';
import { listen } from '../helpers/server.js';
import { ALICE, flowYaml, OTHER, SPA } from './setup.js';

/** A person in a browser: open the authorization URL, sign in, allow; returns the callback URL. */
async function personSignsIn(base: string, browser: InjectBrowser, authorizationUrl: URL, expectForm = true): Promise<URL> {
  let page: Page = await browser.get(authorizationUrl.href);
  for (let i = 0; i < 10; i++) {
    if (page.statusCode >= 300 && page.statusCode < 400) {
      const location = new URL(page.headers.location as string, base);
      if (location.origin !== new URL(base).origin) return location;
      page = await browser.get(location.href);
      continue;
    }
    if (!expectForm) throw new Error(`expected no form:\n${page.body}`);
    if (page.body.includes('value="allow"')) page = await browser.submit(page, {}, { name: 'decision', value: 'allow' });
    else page = await browser.submit(page, { identifier: ALICE.nickname, password: ALICE.password });
  }
  throw new Error('sign-in did not finish');
}

t.test('openid-client: discovery, PKCE, code exchange, ID token validation, userinfo, refresh', async (t) => {
  const running = await listen(t, tempDir(t), flowYaml());
  const base = running.url;
  const browser = new InjectBrowser(fetchTransport());

  // The masks issuer of `listen` is its own URL; the seeded clients redirect elsewhere, which a browser never reaches here.
  const config = await oidc.discovery(new URL(base), OTHER.id, OTHER.secret, oidc.ClientSecretBasic(OTHER.secret), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: OTHER.redirect,
    scope: 'openid profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await personSignsIn(base, browser, url);
  t.equal(callback.origin + callback.pathname, OTHER.redirect);

  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
  const claims = tokens.claims()!;
  t.equal(claims.iss, base);
  t.equal(claims.aud, OTHER.id);
  t.same(claims.amr, ['pwd']);
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  t.equal(userinfo.preferred_username, 'alice');

  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  t.not(refreshed.refresh_token, tokens.refresh_token, 'rotated');
  t.equal(refreshed.claims()!.sub, claims.sub);

  const replay = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce }).catch((e: unknown) => e);
  t.match(replay, { error: 'invalid_grant' }, 'a replayed code');

  // prompt=none with the session: no form.
  const silentState = oidc.randomState();
  const silent = oidc.buildAuthorizationUrl(config, { redirect_uri: OTHER.redirect, scope: 'openid', prompt: 'none', state: silentState, code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const silentCallback = await personSignsIn(base, browser, silent, false);
  const silentTokens = await oidc.authorizationCodeGrant(config, silentCallback, { pkceCodeVerifier: verifier, expectedState: silentState });
  t.equal(silentTokens.claims()!.sub, claims.sub, 'single sign-on');

  // RP-initiated logout with the ID token.
  const logout = oidc.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: 'https://web.example/bye' });
  const loggedOut = await browser.get(logout.href);
  t.equal(loggedOut.statusCode, 200, 'a post_logout_redirect_uri another client registered: confirmation page');
});

t.test('openid-client with a public client (PKCE, no secret)', async (t) => {
  const running = await listen(t, tempDir(t), flowYaml());
  const config = await oidc.discovery(new URL(running.url), SPA.id, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const redirect = 'http://127.0.0.1:41234/callback';
  const url = oidc.buildAuthorizationUrl(config, { redirect_uri: redirect, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
  const callback = await personSignsIn(running.url, new InjectBrowser(fetchTransport()), url);
  t.equal(callback.origin, 'http://127.0.0.1:41234', 'loopback port chosen by the app');
  const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, idTokenExpected: true });
  t.ok(tokens.claims()!.sub);
});
