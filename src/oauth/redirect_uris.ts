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
