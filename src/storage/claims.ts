/** What an import claims: the identifiers it brings that must be new to the installation (and to the import). */
import type { Portable } from '../model.js';
import type { ImportClaim } from './store.js';

export function claimsOf(data: Portable): ImportClaim[] {
  const claims: ImportClaim[] = data.clients.map((client) => ({ kind: 'client', value: client.id }));
  for (const actor of data.actors) {
    claims.push({ kind: 'actor', value: actor.id }, { kind: 'public-uuid', value: actor.publicUuid });
    if (actor.nickname !== null) claims.push({ kind: 'nickname', value: actor.nickname });
    for (const email of actor.emails) claims.push({ kind: 'email', value: email.address });
    for (const authenticator of actor.authenticators) {
      claims.push({ kind: 'authenticator', value: authenticator.id });
      if (authenticator.credentialId !== null) claims.push({ kind: 'credential', value: authenticator.credentialId });
    }
  }
  return claims;
}

/** The claims made more than once (each once). */
export function repeatedClaims(claims: ImportClaim[]): ImportClaim[] {
  const seen = new Set<string>();
  const repeated = new Map<string, ImportClaim>();
  for (const claim of claims) {
    const key = `${claim.kind}\0${claim.value}`;
    if (seen.has(key)) repeated.set(key, claim);
    seen.add(key);
  }
  return [...repeated.values()];
}
