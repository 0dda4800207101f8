/**
 * What every boot (`masks start`) ensures: the management client, the seeds of masks.yml
 * (clients declared by the file; actors created when missing, never overwritten) and the
 * first manager. The rules are the services' (clients/service.ts, accounts/service.ts).
 */
import { generatePassword } from './accounts/passwords.js';
import { createActor, identifiersOf, takenIdentifier, type AccountStores, type ActorInput } from './accounts/service.js';
import { ACCOUNT_CLIENT_ID, MANAGEMENT_CLIENT_ID, pickOverrides, refuseManagementClient, saveClient, type ClientStores } from './clients/service.js';
import type { SeedActor, SeedClient } from './config/schema.js';
import type { Masks } from './context.js';
import { InputError } from './errors.js';

export const MANAGE_SCOPE = 'masks:manage';

/** Prints a secret to the operator once (stdout, never the log). */
export type Announce = (message: string) => void;
const stdoutAnnounce: Announce = (message) => process.stdout.write(`${message}\n`);

async function ensureManagementClient(masks: ClientStores) {
  await saveClient(
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

/** The built-in client of /account: every actor may sign in to their own page. */
async function ensureAccountClient(masks: ClientStores) {
  await saveClient(masks, { id: ACCOUNT_CLIENT_ID, name: `${masks.config.name} account`, redirect_uris: ['/account'], overrides: { client_type: 'internal' } }, false);
}

/** Make the seeded clients match masks.yml: save each declared one, delete the others. */
async function seedClients(masks: ClientStores, seeds: SeedClient[], announce: Announce) {
  const declared = new Set<string>();
  for (const seed of seeds) {
    refuseManagementClient(seed.id);
    if (declared.has(seed.id)) throw new InputError(`seeds.clients: client "${seed.id}" is declared twice`);
    declared.add(seed.id);
    const { secret } = await saveClient(masks, { ...seed, overrides: pickOverrides(seed as Record<string, unknown>) }, true);
    if (secret) announce(`masks: seeded client "${seed.id}" has no secret in masks.yml; generated one (shown once): ${secret}`);
  }
  for (const client of await masks.store.clients.list()) {
    if (client.seeded && !declared.has(client.id)) await masks.store.clients.delete(client.id);
  }
}

/** Create an actor; a broken rule names the actor (`actor "bob": ...`). */
async function createNamedActor(masks: AccountStores, input: ActorInput) {
  try {
    return await createActor(masks, input);
  } catch (error) {
    const who = input.nickname ?? input.email;
    throw error instanceof InputError && who ? error.about(`actor "${who}"`) : error;
  }
}

async function seedActors(masks: AccountStores, seeds: SeedActor[]) {
  for (const seed of seeds) {
    const exists = await takenIdentifier(masks, identifiersOf(seed));
    if (exists === undefined) await createNamedActor(masks, { ...seed, emailVerified: true });
  }
}

/** The first manager: manager.nickname (while nicknames are enabled) and manager.email; a password generated unless given. */
async function ensureFirstManager(masks: Masks, announce: Announce) {
  const { settings, actors } = masks.store;
  if (await settings.get<boolean>('first_manager_created')) return;
  if (await actors.hasScope(MANAGE_SCOPE)) {
    await settings.set('first_manager_created', true, masks.clock());
    return;
  }
  const { nickname, email, password } = masks.config.manager;
  if (!masks.config.nicknames.enabled && !email) {
    throw new InputError('nicknames are turned off (nicknames.enabled): give the first manager an email address (manager.email)');
  }
  // An actor made with the CLI before the first start may hold the manager's name already:
  // masks does not hand it masks:manage unasked, and does not stop the boot either.
  const taken = await Promise.all([masks.config.nicknames.enabled ? nickname : undefined, email || undefined].map((id) => (id ? actors.findByIdentifier(id) : undefined)));
  const holder = taken.find((actor) => actor !== undefined);
  if (holder) {
    announce(`masks: no first manager created: the actor "${holder.nickname ?? holder.emails[0]?.address}" already exists without ${MANAGE_SCOPE}; give someone that scope (masks actors add ... --scope ${MANAGE_SCOPE}) or choose another manager.nickname / manager.email`);
    return;
  }
  const generated = password ? undefined : generatePassword(masks.config.passwords);
  const actor = await createNamedActor(masks, {
    nickname: masks.config.nicknames.enabled ? nickname : undefined,
    email: email || undefined,
    password: password || generated,
    scopes: [MANAGE_SCOPE],
    emailVerified: true,
  });
  await settings.set('first_manager_created', true, masks.clock());
  if (generated) announce(`masks: created the first manager "${actor.nickname ?? actor.emails[0]?.address}" with password (shown once): ${generated}`);
}

/** Run at every boot; idempotent. A seed or manager that breaks a rule stops it (InputError). */
export async function bootstrap(masks: Masks, announce: Announce = stdoutAnnounce): Promise<void> {
  // Nodes booting together take turns: the later ones find the clients, seeds and manager made.
  await masks.store.exclusively('bootstrap', async () => {
    await ensureManagementClient(masks);
    await ensureAccountClient(masks);
    await seedClients(masks, masks.config.seeds.clients, announce);
    await seedActors(masks, masks.config.seeds.actors);
    await ensureFirstManager(masks, announce);
  });
}
