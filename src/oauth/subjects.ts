/**
 * The `sub` a client sees (OIDC Core 8): pairwise-uuid (a keyed hash of the sector and the
 * actor, as a UUID), public-uuid (the actor's random UUID) or public-identifier (nickname
 * or email). Sector: the client's sector_identifier, else the host of its redirect URIs.
 */
import type { Masks } from '../context.js';
import type { Actor } from '../model.js';
import type { Client } from '../model.js';

export function sectorOf(masks: Masks, client: Client): string {
  if (client.settings.sector_identifier) return client.settings.sector_identifier;
  const first = client.redirectUris.find((uri) => /^[a-z][a-z0-9+.-]*:\/\//i.test(uri));
  if (first) {
    try {
      return new URL(first).host;
    } catch {
      // fall through to the issuer's host
    }
  }
  return new URL(masks.config.url).host;
}

export function subjectFor(masks: Masks, client: Client, actor: Actor): string {
  switch (client.settings.subject_type) {
    case 'public-uuid':
      return actor.publicUuid;
    case 'public-identifier':
      return actor.nickname ?? actor.emails[0]?.address ?? actor.publicUuid;
    case 'pairwise-uuid': {
      const hex = Buffer.from(masks.keyed.hash(`${sectorOf(masks, client)}\0${actor.id}`, 'pairwise-subject'), 'base64url').toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    }
  }
}
