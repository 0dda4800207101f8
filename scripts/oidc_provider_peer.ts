/**
 * The benchmark peer: oidc-provider (panva) with the same clients as masks, its default
 * in-memory store, and its development sign-in pages (any login, no password) to make
 * authorization codes. Usage: node dist/scripts/oidc_provider_peer.js PORT CLIENT_ID SECRET
 * SCOPES WEB_ID WEB_SECRET WEB_REDIRECT
 */
import Provider from 'oidc-provider';

const [port, clientId, secret, scopes, webId, webSecret, webRedirect] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId!,
      client_secret: secret!,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: scopes!,
    },
    {
      client_id: webId!,
      client_secret: webSecret!,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [webRedirect!],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  scopes: scopes!.split(' '),
  ttl: { ClientCredentials: 6 * 3600, AccessToken: 6 * 3600, AuthorizationCode: 600, IdToken: 6 * 3600, Grant: 30 * 86_400, Session: 86_400, Interaction: 3600 }, // as masks' defaults
  pkce: { required: () => false },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
});
// Quiet: the benchmark does not want oidc-provider's development warnings.
provider.on('server_error', (_ctx: unknown, error: Error) => console.error(error));
provider.listen(Number(port), () => process.stdout.write(`ready ${issuer}\n`));
