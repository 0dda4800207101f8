/**
 * Configuration a client's administrator copies from /manage: what an OIDC library needs,
 * or for internal clients a reverse proxy's forward-auth (nginx auth_request, Traefik
 * forwardAuth, Caddy forward_auth). The nginx one is the configuration the forward-auth
 * browser test runs.
 */
import type { Client } from '../model.js';

const base = (url: string) => url.replace(/\/$/, '');

/** nginx: the `location` blocks of a server whose site masks guards; `upstream` is the app behind it. */
export function nginxSnippet(masksUrl: string, client: Pick<Client, 'id'>, upstream = 'http://127.0.0.1:8080'): string {
  const id = encodeURIComponent(client.id);
  return `location = /_masks_verify {
  internal;
  proxy_pass ${base(masksUrl)}/verify?client_id=${id};
  proxy_pass_request_body off;
  proxy_set_header Content-Length "";
}
location / {
  auth_request /_masks_verify;
  auth_request_set $masks_user $upstream_http_remote_user;
  auth_request_set $masks_email $upstream_http_remote_email;
  proxy_set_header Remote-User $masks_user;
  proxy_set_header Remote-Email $masks_email;
  proxy_pass ${upstream};
  error_page 401 = @sign_in;
}
location @sign_in {
  return 302 ${base(masksUrl)}/authorize/${id}?rd=$scheme://$http_host$request_uri;
}`;
}

/** Traefik (dynamic configuration, YAML): a forwardAuth middleware. */
export function traefikSnippet(masksUrl: string, client: Pick<Client, 'id'>): string {
  return `http:
  middlewares:
    masks:
      forwardAuth:
        address: "${base(masksUrl)}/verify?client_id=${encodeURIComponent(client.id)}"
        authResponseHeaders: [Remote-User, Remote-Email, Remote-Name, Remote-Groups]`;
}

/** Caddy (Caddyfile): forward_auth in front of the app. */
export function caddySnippet(masksUrl: string, client: Pick<Client, 'id'>, upstream = 'localhost:8080'): string {
  const url = new URL(masksUrl);
  return `forward_auth ${url.host} {
  uri /verify?client_id=${encodeURIComponent(client.id)}
  copy_headers Remote-User Remote-Email Remote-Name Remote-Groups
}
reverse_proxy ${upstream}`;
}

/** What an OIDC client library is configured with. */
export function oidcSnippet(masksUrl: string, client: Client, secret?: string): string {
  return [
    `issuer: ${masksUrl}`,
    `discovery: ${base(masksUrl)}/.well-known/openid-configuration`,
    `client_id: ${client.id}`,
    ...(client.type === 'confidential' ? [`client_secret: ${secret ?? '(shown once when created or rotated)'}`] : ['client_secret: none (public client: PKCE S256)']),
    `redirect_uri: ${client.redirectUris[0] ?? '(register one)'}`,
  ].join('\n');
}
