/**
 * Return addresses: redirect URIs (registered, then matched exactly; RFC 9700 2.1) and every
 * other address masks sends a browser to (internal clients' `rd`, post_logout_redirect_uri).
 * An address is judged by what a browser would do with it: resolved with the WHATWG URL
 * parser against masks' own URL, and refused outright when it holds any control character
 * or white space (browsers silently drop TAB and newlines, so `/\t/evil.example` is
 * `//evil.example`).
 */
import type { ClientType } from '../model.js';

const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:']);

/** Control characters, format characters (zero-width and bidi marks) and every kind of white space. */
const UNSAFE = /[\p{Cc}\p{Cf}\p{Z}\s]/u;

/** Whether an address holds a character no return address may hold. */
export const hasUnsafeCharacters = (uri: string): boolean => UNSAFE.test(uri);

/** Where a browser on `base` would go for `uri`; undefined when it is unsafe or does not parse. */
export function resolveAddress(uri: string, base: string): URL | undefined {
  if (UNSAFE.test(uri)) return undefined;
  try {
    return new URL(uri, base);
  } catch {
    return undefined;
  }
}

/** Any origin will do for telling whether a path stays on the origin it is resolved against. */
const PATH_BASE = 'https://masks.invalid';

/** A path such as `/manage` that stays on the origin it is resolved against (not `//x`, `/\x`). */
export function isLocalPath(uri: string): boolean {
  if (!uri.startsWith('/')) return false;
  const url = resolveAddress(uri, PATH_BASE);
  return url !== undefined && url.origin === PATH_BASE;
}

/** Why this URI cannot be registered for this type of client, or undefined when it can. */
export function redirectUriProblem(uri: string, type: ClientType): string | undefined {
  if (hasUnsafeCharacters(uri)) return 'must not contain white space or control characters';
  if (type === 'internal' && uri.startsWith('/')) {
    if (!isLocalPath(uri)) return 'must be a path on masks itself (not // or /\\)';
    return uri.includes('#') ? 'must not have a fragment' : undefined;
  }
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

/** One step of a fuzzy pattern: a literal character, or `*` (one or more of WILDCARD). */
type Step = string | typeof STAR;
const STAR = Symbol('*');
const WILDCARD = /^[A-Za-z0-9_~-]$/;

/**
 * The documented fuzzy syntax (opt-in per client, `fuzzy_redirect_uri`): each `*` in a
 * registered URI stands for one run of letters, digits, `_`, `~` or `-`, so it never spans
 * a dot, slash, colon, `@`, `?` or `#`: `https://*.example.com/cb` matches
 * `https://pr-42.example.com/cb` but not `https://evil.com/.example.com/cb`.
 *
 * Matched by walking the set of pattern positions reachable so far (a Thompson NFA), so
 * the time is proportional to pattern length times URI length, whatever the input: no
 * backtracking, no catastrophic cases.
 */
export function fuzzyMatches(registered: string, uri: string): boolean {
  const steps: Step[] = [...registered].map((c) => (c === '*' ? STAR : c));
  let positions = new Set<number>([0]);
  for (const char of uri) {
    const next = new Set<number>();
    const wild = WILDCARD.test(char);
    for (const at of positions) {
      const step = steps[at];
      if (step === STAR) {
        if (wild) next.add(at).add(at + 1); // consume and stay, or consume and move on
      } else if (step === char) next.add(at + 1);
    }
    if (next.size === 0) return false;
    positions = next;
  }
  // A `*` is left only after it consumed a character, so reaching the end means every `*` matched one or more.
  return positions.has(steps.length);
}

export interface RedirectClient {
  redirectUris: string[];
  settings: { fuzzy_redirect_uri: boolean };
}

/**
 * Does `uri` match one of the client's registered redirect URIs (RFC 9700 2.1: exactly)?
 * A URI a browser could not follow exactly as written (unsafe characters, a port over
 * 65535, anything the URL parser refuses) matches nothing, so it can never reach a redirect.
 */
export function matchesRedirectUri(client: RedirectClient, uri: string): boolean {
  if (hasUnsafeCharacters(uri) || !URL.canParse(uri)) return false;
  const loopback = withoutPort(uri);
  for (const registered of client.redirectUris) {
    if (registered === uri) return true;
    if (loopback !== undefined && withoutPort(registered) === loopback) return true;
    if (client.settings.fuzzy_redirect_uri && registered.includes('*') && fuzzyMatches(registered, uri)) return true;
  }
  return false;
}
