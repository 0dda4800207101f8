/** What the management API returns: stored records as JSON views (times in ISO 8601, durations as in masks.yml). */
import { Value } from '@sinclair/typebox/value';
import { ClientOverridesSchema, ClientSettingsSchema } from '../config/schema.js';
import { readOnlyReason } from '../clients/service.js';
import type { Masks } from '../context.js';
import type { Actor, AuditEvent, Client } from '../model.js';
import type { SessionOnDevice } from '../storage/store.js';

export const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
const isoOrNull = (seconds: number | null) => (seconds === null ? null : iso(seconds));

/** A client as masks.yml would declare it: what PATCH merges into. */
export function clientDocument(client: Client): Record<string, unknown> {
  return {
    id: client.id,
    name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    ...(Value.Encode(ClientOverridesSchema, client.overrides) as Record<string, unknown>),
  };
}

export function clientView(client: Client) {
  return {
    id: client.id,
    name: client.name,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    overrides: Value.Encode(ClientOverridesSchema, client.overrides) as Record<string, unknown>,
    settings: Value.Encode(ClientSettingsSchema, client.settings) as Record<string, unknown>,
    client_type: client.type,
    has_secret: client.secretHash !== null,
    previous_secret_expires_at: client.previousSecretHash ? isoOrNull(client.previousSecretExpiresAt) : null,
    seeded: client.seeded,
    read_only: readOnlyReason(client) ?? null,
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
  };
}

export async function actorView(masks: Masks, actor: Actor) {
  const [authenticators, backupCodesLeft] = await Promise.all([masks.store.factors.authenticators(actor.id), masks.store.factors.backupCodesLeft(actor.id)]);
  return {
    id: actor.id,
    nickname: actor.nickname,
    email: actor.emails[0]?.address ?? null,
    emails: actor.emails.map((e) => ({ address: e.address, verified_at: isoOrNull(e.verifiedAt) })),
    name: actor.name,
    scopes: actor.scopes,
    disabled: actor.disabledAt !== null,
    disabled_at: isoOrNull(actor.disabledAt),
    onboarded_at: isoOrNull(actor.onboardedAt),
    has_password: actor.passwordHash !== null,
    second_factors: authenticators.map((a) => ({ id: a.id, kind: a.kind, name: a.name, created_at: iso(a.createdAt), last_used_at: isoOrNull(a.lastUsedAt) })),
    backup_codes_left: backupCodesLeft,
    created_at: iso(actor.createdAt),
    updated_at: iso(actor.updatedAt),
  };
}

export function sessionView(session: SessionOnDevice) {
  return {
    id: session.id,
    device_id: session.deviceId,
    user_agent: session.device?.userAgent ?? '',
    ip: session.device?.ip ?? '',
    amr: session.amr,
    auth_time: iso(session.authTime),
    created_at: iso(session.createdAt),
    last_seen_at: iso(session.lastSeenAt),
    expires_at: iso(session.expiresAt),
  };
}

export function eventView(event: AuditEvent) {
  return { id: event.id, type: event.type, at: iso(event.at), actor_id: event.actorId, client_id: event.clientId, by: event.by, ip: event.ip, detail: event.detail };
}

/** A strong ETag for a record's revision. */
export const etagOf = (record: { revision: number; createdAt: number }) => `"r${record.revision}.${record.createdAt}"`;
