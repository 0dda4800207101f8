/** Registration-time checks of redirect URIs (matching at /authorize is exact; RFC 9700 2.1). */
import type { ClientType } from '../storage/clients.js';

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

/** Why this URI cannot be registered for this type of client, or undefined when it can. */
export function redirectUriProblem(uri: string, type: ClientType): string | undefined {
  if (type === 'internal' && uri.startsWith('/') && !uri.startsWith('//')) return uri.includes('#') ? 'must not have a fragment' : undefined;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return type === 'internal' ? 'must be an absolute URL or a path starting with /' : 'must be an absolute URL';
  }
  if (url.hash || uri.includes('#')) return 'must not have a fragment';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `may not use the ${url.protocol} scheme`;
  if (url.username || url.password) return 'must not contain user information';
  if (type !== 'public' && !/^https?:$/.test(url.protocol)) return 'must be http or https';
  return undefined;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(:\d{1,5})?(\/.*)?$/;

/** A loopback redirect URI without its port (RFC 8252 7.3: the port may vary). */
function withoutPort(uri: string): string | undefined {
  const match = LOOPBACK.exec(uri);
  return match ? `http://${match[1]}${match[3] ?? ''}` : undefined;
}

/**
 * The documented fuzzy syntax (opt-in per client, `fuzzy_redirect_uri`): each `*` in a
 * registered URI stands for one run of letters, digits, `_`, `~` or `-`, so it never spans
 * a dot, slash, colon, `@`, `?` or `#`: `https://*.example.com/cb` matches
 * `https://pr-42.example.com/cb` but not `https://evil.com/.example.com/cb`.
 */
function fuzzyPattern(registered: string): RegExp {
  const escaped = registered.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[A-Za-z0-9_~-]+');
  return new RegExp(`^${escaped}$`);
}

export interface RedirectClient {
  redirectUris: string[];
  settings: { fuzzy_redirect_uri: boolean };
}

/** Does `uri` match one of the client's registered redirect URIs (RFC 9700 2.1: exactly)? */
export function matchesRedirectUri(client: RedirectClient, uri: string): boolean {
  const loopback = withoutPort(uri);
  for (const registered of client.redirectUris) {
    if (registered === uri) return true;
    if (loopback !== undefined && withoutPort(registered) === loopback) return true;
    if (client.settings.fuzzy_redirect_uri && registered.includes('*') && fuzzyPattern(registered).test(uri)) return true;
  }
  return false;
}
