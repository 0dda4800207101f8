/**
 * Saving clients: one copy of every rule, for whoever saves them (the boot's management
 * client and seeds, the CLI and next the management API). A client's id, type, secret,
 * redirect URIs, scopes and checks are judged before anything is written; a confidential
 * client without a secret keeps its stored one or gets a random 256-bit one, returned to be
 * shown once; a record that would not change is not rewritten.
 */
import { isDeepStrictEqual } from 'node:util';
import { CLIENT_SETTING_KEYS, CLIENT_TYPES, effectiveSettings, type ClientOverrides, type ClientSettings } from '../config/schema.js';
import type { Masks } from '../context.js';
import { InputError } from '../errors.js';
import type { Client, ClientRecord, ClientType } from '../model.js';
import { redirectUriProblem } from '../oauth/redirect_uris.js';
import { isScopeToken } from '../oauth/scopes.js';
import { randomToken } from '../security/secrets.js';

/** The built-in management client: masks' own, never seeded or added from outside. */
export const MANAGEMENT_CLIENT_ID = 'manage';
/** The built-in client of /account, every actor's own page. */
export const ACCOUNT_CLIENT_ID = 'account';
const BUILT_IN: readonly string[] = [MANAGEMENT_CLIENT_ID, ACCOUNT_CLIENT_ID];
/** masks' own clients, which every boot makes. */
export const isBuiltInClient = (id: string): boolean => BUILT_IN.includes(id);

/** What saving a client needs of a masks (the CLI opens no more than this). */
export type ClientStores = Pick<Masks, 'config' | 'store' | 'keyed' | 'clock'>;

export interface ClientInput {
  id: string;
  name?: string | undefined;
  secret?: string | undefined;
  redirect_uris?: string[] | undefined;
  post_logout_redirect_uris?: string[] | undefined;
  /** What this client sets itself; the rest comes from the `clients.*` defaults. */
  overrides: ClientOverrides;
}

export interface SavedClient {
  client: Client;
  /** A generated secret, to be shown once. */
  secret?: string;
  /** Whether anything was written. */
  changed: boolean;
}

const CLIENT_ID = /^[A-Za-z0-9._~-]{1,255}$/;
export const SECRET_MIN_CHARS = 32;
/** The longest a rotated secret keeps working beside the new one. */
export const MAX_SECRET_OVERLAP = 90 * 86_400;
export const SECRET_MAX_CHARS = 512;

/** The overrides among the keys of a seed, a CLI input or an API body. */
export function pickOverrides(input: Record<string, unknown>): ClientOverrides {
  return Object.fromEntries(CLIENT_SETTING_KEYS.filter((key) => input[key] !== undefined).map((key) => [key, input[key]])) as ClientOverrides;
}

function idProblem(id: string): string | undefined {
  return CLIENT_ID.test(id) ? undefined : 'the id must be 1 to 255 letters, digits and . _ ~ -';
}

function typeProblem(type: string): string | undefined {
  return (CLIENT_TYPES as readonly string[]).includes(type) ? undefined : `client_type must be one of ${CLIENT_TYPES.join(', ')}, got ${JSON.stringify(type)}`;
}

function secretProblem(type: ClientType, secret: string | undefined): string | undefined {
  if (secret === undefined) return undefined;
  if (type !== 'confidential') return 'only confidential clients have a secret';
  if (secret.length < SECRET_MIN_CHARS) return `the secret must be at least ${SECRET_MIN_CHARS} characters`;
  if (secret.length > SECRET_MAX_CHARS) return `the secret must be at most ${SECRET_MAX_CHARS} characters`;
  return undefined;
}

function redirectUrisProblem(type: ClientType, input: ClientInput): string | undefined {
  for (const uri of [...(input.redirect_uris ?? []), ...(input.post_logout_redirect_uris ?? [])]) {
    const problem = redirectUriProblem(uri, type);
    if (problem) return `redirect URI ${JSON.stringify(uri)} ${problem}`;
  }
  return undefined;
}

function scopesProblem(settings: ClientSettings): string | undefined {
  const bad = [...settings.scopes.allowed, ...settings.scopes.required].find((scope) => !isScopeToken(scope));
  return bad === undefined ? undefined : `scope ${JSON.stringify(bad)} has characters outside RFC 6749 3.3`;
}

/** A logo is an image on the web the sign-in pages may load (their CSP names its origin): https, or http on localhost. */
export function logoOrigin(uri: string): string | undefined {
  try {
    const url = new URL(uri);
    const local = url.hostname === 'localhost' || url.hostname === '127.0.0.1';
    // The origin goes into a CSP header: a plain host name and port only (no *, ; , ' or anything else a policy reads).
    const plain = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/.test(url.origin);
    return plain && (url.protocol === 'https:' || (url.protocol === 'http:' && local)) ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

function logoProblem(uri: string): string | undefined {
  return uri === '' || logoOrigin(uri) ? undefined : `logo_uri ${JSON.stringify(uri)} must be an https URL`;
}

/** Why this client cannot be saved, for the operator; undefined when it can. `defaults` are the `clients.*` settings. */
export function clientProblem(defaults: ClientSettings, input: ClientInput): string | undefined {
  const problem = idProblem(input.id) ?? typeProblem(input.overrides.client_type ?? defaults.client_type);
  if (problem) return problem;
  const settings = effectiveSettings(defaults, input.overrides);
  return (
    secretProblem(settings.client_type, input.secret) ??
    redirectUrisProblem(settings.client_type, input) ??
    scopesProblem(settings) ??
    logoProblem(settings.logo_uri)
  );
}

/** The secret hash to store: the given secret's, else the stored one, else a new random secret's (returned). */
function secretFor(masks: ClientStores, type: ClientType, given: string | undefined, existing: Client | undefined): { secretHash: string | null; secret?: string } {
  if (type !== 'confidential') return { secretHash: null };
  if (given !== undefined) return { secretHash: masks.keyed.hash(given) };
  if (existing?.secretHash) return { secretHash: existing.secretHash };
  const secret = randomToken();
  return { secretHash: masks.keyed.hash(secret), secret };
}

const recordOf = (client: Client): ClientRecord => ({
  id: client.id,
  name: client.name,
  secretHash: client.secretHash,
  redirectUris: client.redirectUris,
  postLogoutRedirectUris: client.postLogoutRedirectUris,
  overrides: client.overrides,
  seeded: client.seeded,
});

/** Why a client may not be changed from outside masks.yml (seeded, or masks' own); undefined when it may. */
export function readOnlyReason(client: Client): string | undefined {
  if (BUILT_IN.includes(client.id)) return `client "${client.id}" is built in; masks keeps it`;
  if (client.seeded) return `client "${client.id}" is declared in masks.yml (seeds.clients); change it there`;
  return undefined;
}

/**
 * Replace a client's settings (the management API's PATCH, after merging): the same rules as
 * adding one, never a seeded client or masks' own, and only while the stored client is at
 * `expectRevision` (else StaleError, nothing written). The secret is kept.
 */
export async function updateClient(masks: ClientStores, input: ClientInput, expectRevision: number): Promise<SavedClient> {
  const existing = await masks.store.clients.find(input.id);
  const readOnly = existing && readOnlyReason(existing);
  if (readOnly) throw new InputError(readOnly);
  const problem = clientProblem(masks.config.clients, input);
  if (problem) throw new InputError(problem);
  const type = effectiveSettings(masks.config.clients, input.overrides).client_type;
  if (input.secret !== undefined) throw new InputError('a secret is changed by rotating it (POST /clients/{id}/secret)');
  const { secretHash, secret } = secretFor(masks, type, undefined, existing);
  const record: ClientRecord = {
    id: input.id,
    name: input.name ?? input.id,
    secretHash,
    redirectUris: input.redirect_uris ?? [],
    postLogoutRedirectUris: input.post_logout_redirect_uris ?? [],
    overrides: input.overrides,
    seeded: false,
    ...(type === 'confidential' ? {} : { previousSecretHash: null, previousSecretExpiresAt: null }),
  };
  // A client that became confidential gets a secret, shown once like a new client's.
  return { client: await masks.store.clients.save(record, expectRevision), changed: true, ...(secret ? { secret } : {}) };
}

/**
 * A new random secret for a confidential client, returned once. The old one keeps working
 * for `overlap` seconds (0: not at all), so the client's deployments can change over.
 */
export async function rotateSecret(masks: ClientStores, client: Client, overlap: number): Promise<{ client: Client; secret: string }> {
  const readOnly = readOnlyReason(client);
  if (readOnly) throw new InputError(readOnly);
  if (overlap > MAX_SECRET_OVERLAP) throw new InputError('the old secret may keep working for at most 90 days');
  if (client.type !== 'confidential') throw new InputError(`client "${client.id}" is ${client.type}; only confidential clients have a secret`);
  const secret = randomToken();
  const now = masks.clock();
  const keepOld = overlap > 0 && client.secretHash !== null;
  const record: ClientRecord = {
    ...recordOf(client),
    secretHash: masks.keyed.hash(secret),
    previousSecretHash: keepOld ? client.secretHash : null,
    previousSecretExpiresAt: keepOld ? now + overlap : null,
  };
  return { client: await masks.store.clients.save(record, client.revision), secret };
}

/**
 * Validate and save a client (insert or replace), `seeded` when masks.yml declares it.
 * What the input leaves out (name, URIs, secret) is kept from the stored client.
 * A broken rule is an InputError naming the client.
 */
export async function saveClient(masks: ClientStores, input: ClientInput, seeded: boolean): Promise<SavedClient> {
  const problem = clientProblem(masks.config.clients, input);
  if (problem) throw new InputError(problem).about(`client "${input.id}"`);
  const existing = await masks.store.clients.find(input.id);
  const type = effectiveSettings(masks.config.clients, input.overrides).client_type;
  const { secretHash, secret } = secretFor(masks, type, input.secret, existing);
  const record: ClientRecord = {
    id: input.id,
    name: input.name ?? existing?.name ?? input.id,
    secretHash,
    redirectUris: input.redirect_uris ?? existing?.redirectUris ?? [],
    postLogoutRedirectUris: input.post_logout_redirect_uris ?? existing?.postLogoutRedirectUris ?? [],
    overrides: input.overrides,
    seeded,
  };
  if (existing && isDeepStrictEqual(recordOf(existing), record)) return { client: existing, changed: false };
  return { client: await masks.store.clients.save(record), changed: true, ...(secret ? { secret } : {}) };
}

/** The management client is masks' own: refused wherever a client comes from outside. */
export function refuseManagementClient(id: string): void {
  if (BUILT_IN.includes(id)) throw new InputError(`client "${id}" is ${id === MANAGEMENT_CLIENT_ID ? 'the built-in management client' : 'built in (the /account page)'}; masks keeps it`);
}

/**
 * Add a new client (the CLI, next the management API): never the management client, one
 * masks.yml declares (the next boot would make it match the file), or one that exists.
 */
export async function addClient(masks: ClientStores, input: ClientInput): Promise<SavedClient> {
  refuseManagementClient(input.id);
  if (masks.config.seeds.clients.some((seed) => seed.id === input.id)) {
    throw new InputError(`client "${input.id}" is declared in masks.yml (seeds.clients); change it there`);
  }
  if (await masks.store.clients.find(input.id)) throw new InputError(`client "${input.id}" already exists`);
  return saveClient(masks, input, false);
}
