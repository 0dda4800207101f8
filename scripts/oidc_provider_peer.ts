/**
 * The benchmark peer: oidc-provider (panva) with the same client as masks, its default
 * in-memory store. Usage: node dist/scripts/oidc_provider_peer.js PORT CLIENT_ID SECRET SCOPES
 */
import Provider from 'oidc-provider';

const [port, clientId, secret, scopes] = process.argv.slice(2);
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
  ],
  scopes: scopes!.split(' '),
  ttl: { ClientCredentials: 6 * 3600 }, // as masks' access_token_expires_in
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
  },
});
// Quiet: the benchmark does not want oidc-provider's development warnings.
provider.on('server_error', (_ctx: unknown, error: Error) => console.error(error));
provider.listen(Number(port), () => process.stdout.write(`ready ${issuer}\n`));
