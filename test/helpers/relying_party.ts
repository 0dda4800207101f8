/**
 * A tiny web app that signs people in with masks through openid-client (confidential or
 * public), listening on 127.0.0.1: /login starts, /cb finishes and greets the person.
 */
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';

export interface RelyingParty {
  url: string;
  close(): Promise<void>;
}

export async function startRelyingParty(
  t: { teardown(fn: () => unknown): void },
  options: { port: number; issuer: string; clientId: string; secret?: string; scope?: string },
): Promise<RelyingParty> {
  const url = `http://127.0.0.1:${options.port}`;
  const redirectUri = `${url}/cb`;
  let config: oidc.Configuration | undefined;
  const configure = async () =>
    (config ??= await oidc.discovery(new URL(options.issuer), options.clientId, options.secret, options.secret ? oidc.ClientSecretPost(options.secret) : oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    }));
  const pending = new Map<string, { verifier: string; nonce: string }>();

  const server: Server = createServer((request, response) => {
    void (async () => {
      const here = new URL(request.url ?? '/', url);
      const html = (status: number, body: string, more = '') => response.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>App</title><h1>${body}</h1>${more}`);
      try {
        const oidcConfig = await configure();
        if (here.pathname === '/login') {
          const verifier = oidc.randomPKCECodeVerifier();
          const state = oidc.randomState();
          const nonce = oidc.randomNonce();
          pending.set(state, { verifier, nonce });
          const target = oidc.buildAuthorizationUrl(oidcConfig, {
            redirect_uri: redirectUri,
            scope: options.scope ?? 'openid profile',
            state,
            nonce,
            code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
            code_challenge_method: 'S256',
            ...Object.fromEntries(here.searchParams),
          });
          response.writeHead(302, { location: target.href }).end();
          return;
        }
        if (here.pathname === '/cb') {
          const state = here.searchParams.get('state') ?? '';
          const flow = pending.get(state);
          if (here.searchParams.has('error')) return html(403, `Error: ${here.searchParams.get('error')}`);
          if (!flow) return html(400, 'Unknown state');
          pending.delete(state);
          const tokens = await oidc.authorizationCodeGrant(oidcConfig, here, { pkceCodeVerifier: flow.verifier, expectedState: state, expectedNonce: flow.nonce, idTokenExpected: true });
          const claims = tokens.claims()!;
          const info = await oidc.fetchUserInfo(oidcConfig, tokens.access_token, claims.sub);
          // How the person signed in, as the ID token says (acr, amr, auth_time).
          const how = JSON.stringify({ acr: claims.acr, amr: claims.amr, auth_time: claims.auth_time }).replace(/</g, '\\u003c');
          return html(200, `Hello ${String(info.preferred_username)}`, `<pre id="sign-in">${how}</pre>`);
        }
        html(404, 'Not found');
      } catch (error) {
        html(500, `RP error: ${(error as Error).message}`);
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  const close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  t.teardown(close);
  return { url, close };
}
