/** Scope strings (RFC 6749 3.3): space-delimited, NQCHAR only, order-preserving, no repeats. */
import { invalidScope, mention } from './errors.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** One scope token: NQCHAR only (printable ASCII but space, `"` and a backslash). */
export const isScopeToken = (value: string): boolean => SCOPE_TOKEN.test(value);

/** Scopes that only make sense with a signed-in actor. */
export const ACTOR_SCOPES = new Set(['openid', 'profile', 'email', 'address', 'phone', 'offline_access', 'groups']);

/** Parse a scope parameter; malformed is invalid_scope. */
export function parseScope(value: string | undefined): string[] {
  if (value === undefined) return [];
  const parts = value.split(' ').filter(Boolean);
  for (const part of parts) if (!isScopeToken(part)) throw invalidScope('scope has characters outside RFC 6749 3.3');
  return [...new Set(parts)];
}

export const formatScope = (scopes: string[]): string => scopes.join(' ');

/** Every requested scope must be allowed; names the first that is not. */
export function ensureAllowed(requested: string[], allowed: string[]): void {
  const allowedSet = new Set(allowed);
  const denied = requested.filter((scope) => !allowedSet.has(scope));
  if (denied.length > 0) throw invalidScope(`scope not allowed for this client: ${mention(denied)}`);
}
