/**
 * The file `masks export` writes and `masks import` reads: versioned JSON holding clients and
 * actors as masks stores them (src/model.ts: Portable), so only hashes and sealed secrets,
 * never a secret. A file that is not JSON, of another version, of the wrong shape or naming
 * something twice is refused with a message saying where.
 */
import { Type, type TSchema, type TProperties } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { ClientOverridesSchema } from '../config/schema.js';
import { InputError } from '../errors.js';
import type { Portable } from '../model.js';
import { claimsOf, repeatedClaims } from '../storage/claims.js';
import type { ImportClaim } from '../storage/store.js';

/** Raised when the file changes shape; an import reads only its own version. */
export const EXPORT_VERSION = 1;

const Time = Type.Integer({ minimum: 0 });
const Text = Type.String({ minLength: 1 });
const OrNull = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Strings = Type.Array(Type.String());
const Strict = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: false });

const ClientSchema = Strict({
  id: Text,
  name: Type.String(),
  secretHash: OrNull(Text),
  redirectUris: Strings,
  postLogoutRedirectUris: Strings,
  // The same rules as masks.yml: a stored duration (seconds) is a valid one.
  overrides: ClientOverridesSchema,
  seeded: Type.Boolean(),
  previousSecretHash: OrNull(Text),
  previousSecretExpiresAt: OrNull(Time),
  createdAt: Time,
});

const AuthenticatorSchema = Strict({
  id: Text,
  kind: Type.Union([Type.Literal('totp'), Type.Literal('webauthn'), Type.Literal('phone')]),
  name: Type.String(),
  secret: OrNull(Text),
  lastStep: OrNull(Time),
  credentialId: OrNull(Text),
  publicKey: OrNull(Text),
  counter: Time,
  transports: Strings,
  createdAt: Time,
  lastUsedAt: OrNull(Time),
});

const ActorSchema = Strict({
  id: Text,
  publicUuid: Text,
  nickname: OrNull(Text),
  name: OrNull(Type.String()),
  passwordHash: OrNull(Text),
  passwordChangedAt: OrNull(Time),
  onboardedAt: OrNull(Time),
  scopes: Strings,
  disabledAt: OrNull(Time),
  createdAt: Time,
  emails: Type.Array(Strict({ address: Text, verifiedAt: OrNull(Time), createdAt: Time })),
  authenticators: Type.Array(AuthenticatorSchema),
  backupCodes: Type.Array(Strict({ hash: Text, createdAt: Time, usedAt: OrNull(Time) })),
  consents: Type.Array(Strict({ clientId: Text, scopes: Strings, grantedAt: Time })),
});

const ExportSchema = Strict({
  masks_export: Type.Literal(EXPORT_VERSION),
  exported_at: Type.String(),
  /** Which installation secret the hashes and sealed secrets are keyed with (src/export/service.ts). */
  secret_check: Text,
  clients: Type.Array(ClientSchema),
  actors: Type.Array(ActorSchema),
});

export interface ExportFile {
  /** When the export was taken (ISO 8601). */
  exportedAt: string;
  secretCheck: string;
  data: Portable;
}

/** The claim as the operator reads it: `nickname "alice"`. */
export const describeClaim = (claim: ImportClaim): string => `${claim.kind === 'client' || claim.kind === 'actor' ? `${claim.kind} id` : claim.kind} ${JSON.stringify(claim.value)}`;

export function formatExport(file: ExportFile): string {
  return `${JSON.stringify({ masks_export: EXPORT_VERSION, exported_at: file.exportedAt, secret_check: file.secretCheck, ...file.data }, null, 2)}\n`;
}

/** Read an export's text; `name` (the file) starts every message. */
export function parseExport(text: string, name: string): ExportFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name} is not JSON (${(error as Error).message})`);
  }
  const version = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>).masks_export : undefined;
  if (version === undefined) throw new InputError(`${name} is not a masks export (it has no "masks_export" version)`);
  if (version !== EXPORT_VERSION) throw new InputError(`${name} is a masks export of version ${JSON.stringify(version)}; this masks reads version ${EXPORT_VERSION}`);
  const nul = nulAt(raw, '');
  if (nul !== undefined) throw new InputError(`${name}: ${nul}: holds a NUL character, which masks no longer takes (PostgreSQL cannot store one); change it on the old installation and export again`);
  const problem = Value.Errors(ExportSchema, raw).First();
  if (problem) throw new InputError(`${name}: ${problem.path || '/'}: ${problem.message}`);
  const file = Value.Decode(ExportSchema, raw);
  const data: Portable = { clients: file.clients, actors: file.actors };
  const twice = repeatedClaims(claimsOf(data))[0];
  if (twice) throw new InputError(`${name} holds ${describeClaim(twice)} more than once`);
  const clients = new Set(data.clients.map((client) => client.id));
  for (const actor of data.actors) {
    const stray = actor.consents.find((consent) => !clients.has(consent.clientId));
    if (stray) throw new InputError(`${name}: actor id ${JSON.stringify(actor.id)} consented to client ${JSON.stringify(stray.clientId)}, which the file does not hold`);
  }
  return { exportedAt: file.exported_at, secretCheck: file.secret_check, data };
}

/** The JSON pointer of the first string holding a NUL character, if any. */
function nulAt(value: unknown, pointer: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? pointer || '/' : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [key, item] of Object.entries(value)) {
    const found = nulAt(item, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
