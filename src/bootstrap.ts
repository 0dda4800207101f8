/**
 * First boot and every boot: the management client, the first manager, and the seeds of
 * masks.yml (clients declared by the file; actors created when missing, never overwritten).
 */
import { isDeepStrictEqual } from 'node:util';
import { generatePassword, passwordProblem } from './accounts/passwords.js';
import type { ClientOverrides, SeedActor, SeedClient } from './config/schema.js';
import { CLIENT_SETTING_KEYS } from './config/schema.js';
import type { Masks } from './context.js';
import { hashPassword } from './factors/password.js';
import { redirectUriProblem } from './oauth/redirect_uris.js';
import { randomToken } from './security/secrets.js';
import type { Client, ClientRecord, ClientType } from './storage/clients.js';
import { effectiveSettings } from './storage/clients.js';

export const MANAGEMENT_CLIENT_ID = 'manage';
export const MANAGE_SCOPE = 'masks:manage';

/** Something the operator must fix in what they asked for (seeds, CLI input). */
export class InputError extends Error {
  override name = 'InputError';
}

/** Prints a secret to the operator once (stdout, never the log). */
export type Announce = (message: string) => void;
const stdoutAnnounce: Announce = (message) => process.stdout.write(`${message}\n`);

export interface ClientInput {
  id: string;
  name?: string | undefined;
  secret?: string | undefined;
  redirect_uris?: string[] | undefined;
  post_logout_redirect_uris?: string[] | undefined;
  overrides: ClientOverrides;
}

/** The overrides among the keys of a seed or CLI input. */
export function pickOverrides(input: Record<string, unknown>): ClientOverrides {
  return Object.fromEntries(CLIENT_SETTING_KEYS.filter((key) => input[key] !== undefined).map((key) => [key, input[key]])) as ClientOverrides;
}

/**
 * Validate and save a client. A confidential client without a secret keeps its stored one,
 * or gets a random 256-bit one, returned (to be shown once).
 */
export function saveClient(masks: Masks, input: ClientInput, seeded: boolean): { client: Client; secret?: string; changed: boolean } {
  const type: ClientType = effectiveSettings(masks.config.clients, input.overrides).client_type;
  const where = `client "${input.id}"`;
  if (input.secret !== undefined && type !== 'confidential') throw new InputError(`${where}: only confidential clients have a secret`);
  if (input.secret !== undefined && input.secret.length < 32) throw new InputError(`${where}: the secret must be at least 32 characters`);
  for (const uri of [...(input.redirect_uris ?? []), ...(input.post_logout_redirect_uris ?? [])]) {
    const problem = redirectUriProblem(uri, type);
    if (problem) throw new InputError(`${where}: redirect URI ${JSON.stringify(uri)} ${problem}`);
  }
  const existing = masks.clients.find(input.id);
  let secret: string | undefined;
  let secretHash: string | null = null;
  if (type === 'confidential') {
    if (input.secret !== undefined) secretHash = masks.keyed.hash(input.secret);
    else if (existing?.secretHash) secretHash = existing.secretHash;
    else {
      secret = randomToken();
      secretHash = masks.keyed.hash(secret);
    }
  }
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
  return { client: masks.clients.save(record), changed: true, ...(secret ? { secret } : {}) };
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

function ensureManagementClient(masks: Masks) {
  saveClient(
    masks,
    {
      id: MANAGEMENT_CLIENT_ID,
      name: `${masks.config.name} management`,
      redirect_uris: ['/manage'],
      overrides: { client_type: 'internal', scopes: { required: [MANAGE_SCOPE], allowed: [MANAGE_SCOPE] } },
    },
    false,
  );
}

function seedClients(masks: Masks, seeds: SeedClient[], announce: Announce) {
  const declared = new Set<string>();
  for (const seed of seeds) {
    if (seed.id === MANAGEMENT_CLIENT_ID) throw new InputError(`seeds.clients: "${MANAGEMENT_CLIENT_ID}" is the built-in management client and cannot be seeded`);
    if (declared.has(seed.id)) throw new InputError(`seeds.clients: client "${seed.id}" is declared twice`);
    declared.add(seed.id);
    const { secret } = saveClient(masks, { ...seed, overrides: pickOverrides(seed as Record<string, unknown>) }, true);
    if (secret) announce(`masks: seeded client "${seed.id}" has no secret in masks.yml; generated one (shown once): ${secret}`);
  }
  for (const client of masks.clients.list()) {
    if (client.seeded && !declared.has(client.id)) masks.clients.delete(client.id);
  }
}

async function createActor(masks: Masks, seed: SeedActor & { emailVerified?: boolean }) {
  if (!seed.nickname && !seed.email) throw new InputError('an actor needs a nickname or an email address');
  const problem = seed.password !== undefined ? passwordProblem(masks.config.passwords, seed.password) : undefined;
  if (problem) throw new InputError(`actor "${seed.nickname ?? seed.email}": ${problem}`);
  return masks.actors.create({
    nickname: seed.nickname,
    email: seed.email,
    passwordHash: seed.password ? await hashPassword(seed.password) : undefined,
    scopes: seed.scopes,
    emailVerified: seed.emailVerified,
  });
}

async function seedActors(masks: Masks, seeds: SeedActor[]) {
  for (const seed of seeds) {
    const exists = [seed.nickname, seed.email].some((identifier) => identifier && masks.actors.findByIdentifier(identifier));
    if (!exists) await createActor(masks, { ...seed, emailVerified: true });
  }
}

async function ensureFirstManager(masks: Masks, announce: Announce) {
  if (masks.settings.get<boolean>('first_manager_created') || masks.actors.hasScope(MANAGE_SCOPE)) {
    masks.settings.set('first_manager_created', true);
    return;
  }
  const { nickname, email, password } = masks.config.manager;
  const generated = password ? undefined : generatePassword(masks.config.passwords);
  await createActor(masks, { nickname, email: email || undefined, password: password || generated, scopes: [MANAGE_SCOPE], emailVerified: true });
  masks.settings.set('first_manager_created', true);
  if (generated) announce(`masks: created the first manager "${nickname}" with password (shown once): ${generated}`);
}

/** Run at every boot; idempotent. */
export async function bootstrap(masks: Masks, announce: Announce = stdoutAnnounce): Promise<void> {
  ensureManagementClient(masks);
  seedClients(masks, masks.config.seeds.clients, announce);
  await seedActors(masks, masks.config.seeds.actors);
  await ensureFirstManager(masks, announce);
}
