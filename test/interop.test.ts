import t from 'tap';
import * as oidc from 'openid-client';
import { baseYaml, CONFIDENTIAL, tempDir } from './helpers/app.js';
import { listen } from './helpers/server.js';

t.test('openid-client discovers masks and runs client_credentials, introspection and revocation', async (t) => {
  const running = await listen(t, tempDir(t), baseYaml());
  for (const [name, auth] of [
    ['client_secret_basic', oidc.ClientSecretBasic(CONFIDENTIAL.secret)],
    ['client_secret_post', oidc.ClientSecretPost(CONFIDENTIAL.secret)],
  ] as const) {
    const config = await oidc.discovery(new URL(running.url), CONFIDENTIAL.id, undefined, auth, { execute: [oidc.allowInsecureRequests] });
    t.equal(config.serverMetadata().issuer, running.masks.config.url, `${name}: issuer`);

    const tokens = await oidc.clientCredentialsGrant(config, { scope: 'api:read' });
    t.equal(tokens.token_type, 'bearer', `${name}: token type (normalised by the library)`);
    t.equal(tokens.scope, 'api:read');
    t.ok(tokens.expiresIn()! > 0);

    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    t.match(active, { active: true, client_id: CONFIDENTIAL.id, scope: 'api:read' }, `${name}: introspection`);

    await oidc.tokenRevocation(config, tokens.access_token);
    const revoked = await oidc.tokenIntrospection(config, tokens.access_token);
    t.same(revoked, { active: false }, `${name}: revoked`);
  }
});

t.test('openid-client sees a wrong secret as a Basic challenge with invalid_client', async (t) => {
  const running = await listen(t, tempDir(t), baseYaml());
  const config = await oidc.discovery(new URL(running.url), CONFIDENTIAL.id, undefined, oidc.ClientSecretBasic('wrong-secret-wrong-secret-wrong-secret'), {
    execute: [oidc.allowInsecureRequests],
  });
  const error = await oidc.clientCredentialsGrant(config).catch((e: unknown) => e);
  t.type(error, oidc.WWWAuthenticateChallengeError);
  const challenge = error as oidc.WWWAuthenticateChallengeError;
  t.equal(challenge.status, 401);
  t.match(challenge.cause, [{ scheme: 'basic', parameters: { realm: 'masks' } }]);
  t.same(await challenge.response.json(), { error: 'invalid_client', error_description: 'client authentication failed' });
});
