/**
 * What managers do, for the management API and the /manage pages alike: each action checks
 * the manager's rights (nobody gives more than they hold; nobody changes the client whose
 * token they use, or their own scopes; the last manager stays), then the one copy of the
 * rules in the clients and accounts services, then records the audit event.
 */
import { isDeepStrictEqual } from 'node:util';
import { createActor, updateActor, type ActorInput, type ActorUpdate } from '../accounts/service.js';
import { audit } from '../audit/events.js';
import { MANAGE_SCOPE } from '../bootstrap.js';
import { addClient, readOnlyReason, rotateSecret, updateClient, type ClientInput, type SavedClient } from '../clients/service.js';
import type { Masks } from '../context.js';
import { LastHolderError } from '../errors.js';
import type { Actor, Client, Session } from '../model.js';
import { emailAccountLink } from '../signin/login_links.js';
import { ensureCanGrant, type Manager } from './auth.js';
import { conflict, forbidden } from './problem.js';

const clientScopes = (input: ClientInput) => [...(input.overrides.scopes?.allowed ?? []), ...(input.overrides.scopes?.required ?? [])];

function notOwnClient(manager: Manager, client: Client) {
  if (manager.kind === 'client' && manager.id === client.id) throw forbidden('A client cannot change, rotate or delete itself through its own token.');
}

/** Nobody changes, rotates or deletes a client allowed a masks: power they lack (its token would be theirs). */
function clientOutranks(manager: Manager, client: Client) {
  const scopes = [...client.settings.scopes.allowed, ...client.settings.scopes.required];
  const beyond = scopes.filter((scope) => scope.startsWith('masks:') && !manager.scopes.includes(scope));
  if (beyond.length > 0) throw forbidden(`You cannot manage a client allowed what you do not hold: ${[...new Set(beyond)].join(', ')}.`);
}

function writable(client: Client) {
  const reason = readOnlyReason(client);
  if (reason) throw conflict(reason);
}

export async function createClientAs(masks: Masks, manager: Manager, input: ClientInput): Promise<SavedClient> {
  ensureCanGrant(manager, clientScopes(input));
  const saved = await addClient(masks, input);
  audit(masks, 'client.created', manager.who, { clientId: saved.client.id }, { client_type: saved.client.type });
  return saved;
}

/** Which top-level keys of two documents differ (the audit names fields, never values that could be secret). */
const changedKeys = (before: Record<string, unknown>, after: Record<string, unknown>) =>
  [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => !isDeepStrictEqual(before[key], after[key])).sort();

export async function changeClientAs(masks: Masks, manager: Manager, client: Client, input: ClientInput, before: Record<string, unknown>, after: Record<string, unknown>): Promise<SavedClient> {
  writable(client);
  notOwnClient(manager, client);
  clientOutranks(manager, client);
  ensureCanGrant(manager, clientScopes(input));
  const saved = await updateClient(masks, input, client.revision);
  audit(masks, 'client.changed', manager.who, { clientId: client.id }, { fields: changedKeys(before, after) });
  return saved;
}

export async function deleteClientAs(masks: Masks, manager: Manager, client: Client): Promise<void> {
  writable(client);
  notOwnClient(manager, client);
  clientOutranks(manager, client);
  await masks.store.clients.delete(client.id);
  audit(masks, 'client.deleted', manager.who, { clientId: client.id }, { name: client.name });
}

export async function rotateSecretAs(masks: Masks, manager: Manager, client: Client, overlap: number): Promise<{ client: Client; secret: string }> {
  writable(client);
  notOwnClient(manager, client);
  clientOutranks(manager, client);
  const rotated = await rotateSecret(masks, client, overlap);
  audit(masks, 'client.secret-rotated', manager.who, { clientId: client.id }, { overlap_seconds: overlap });
  return rotated;
}

export async function createActorAs(masks: Masks, manager: Manager, input: ActorInput): Promise<Actor> {
  ensureCanGrant(manager, input.scopes ?? []);
  const actor = await createActor(masks, input);
  audit(masks, 'actor.created', manager.who, { actorId: actor.id }, { scopes: actor.scopes });
  return actor;
}

/** The last enabled actor holding masks:manage stays one: nobody could manage masks after. */
const lastManager = (actor: Actor) => conflict(`"${actor.nickname ?? actor.emails[0]?.address ?? actor.id}" is the last actor who can manage masks; give someone else ${MANAGE_SCOPE} first.`);

/** The store checks the rule in the same command as the change (two at once cannot both pass); this is the problem the page and the API show. */
async function guarded<T>(actor: Actor, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof LastHolderError) throw lastManager(actor);
    throw error;
  }
}

/** Nobody manages (changes, resets, signs out, strips factors from) someone who holds a masks: power they do not. */
function outranks(manager: Manager, actor: Actor) {
  const beyond = actor.scopes.filter((scope) => scope.startsWith('masks:') && !manager.scopes.includes(scope));
  if (beyond.length > 0) throw forbidden(`You cannot manage someone who holds what you do not: ${beyond.join(', ')}.`);
}

export async function changeActorAs(masks: Masks, manager: Manager, actor: Actor, update: ActorUpdate, expectRevision?: number): Promise<Actor> {
  const self = manager.kind === 'actor' && manager.id === actor.id;
  if (self && (update.scopes !== undefined || update.disabled !== undefined)) throw forbidden('You cannot change your own scopes or disable yourself; ask another manager.');
  if (!self) outranks(manager, actor);
  if (update.scopes) {
    const added = update.scopes.filter((scope) => !actor.scopes.includes(scope));
    const removed = actor.scopes.filter((scope) => !update.scopes!.includes(scope));
    ensureCanGrant(manager, [...added, ...removed]);
  }
  const changed = await guarded(actor, () => updateActor(masks, actor, update, { expectRevision, keepScope: MANAGE_SCOPE }));
  const fields = Object.keys(update).filter((key) => key !== 'disabled');
  if (fields.length > 0) audit(masks, 'actor.changed', manager.who, { actorId: actor.id }, { fields: fields.sort() });
  if (update.disabled !== undefined && update.disabled !== (actor.disabledAt !== null)) {
    audit(masks, update.disabled ? 'actor.disabled' : 'actor.enabled', manager.who, { actorId: actor.id });
  }
  return changed;
}

export async function deleteActorAs(masks: Masks, manager: Manager, actor: Actor): Promise<void> {
  if (manager.kind === 'actor' && manager.id === actor.id) throw forbidden('You cannot delete yourself; ask another manager.');
  outranks(manager, actor);
  await guarded(actor, () => masks.store.actors.delete(actor.id, { keepScope: MANAGE_SCOPE }));
  audit(masks, 'actor.deleted', manager.who, { actorId: actor.id }, { nickname: actor.nickname });
}

export async function removeFactorAs(masks: Masks, manager: Manager, actor: Actor, authenticatorId: string): Promise<boolean> {
  outranks(manager, actor);
  const removed = await masks.store.factors.removeAuthenticator(actor.id, authenticatorId);
  if (removed) audit(masks, 'factor.removed', manager.who, { actorId: actor.id }, { authenticator: authenticatorId, by_manager: true });
  return removed;
}

export async function endSessionAs(masks: Masks, manager: Manager, session: Session, actor: Actor): Promise<void> {
  outranks(manager, actor);
  await masks.store.signIns.endSession(session.hash, session.id, masks.clock());
  audit(masks, 'session.ended', manager.who, { actorId: session.actorId }, { session: session.id });
}

/** Sign an actor out everywhere at once. */
export async function endSessionsAs(masks: Masks, manager: Manager, actor: Actor): Promise<void> {
  outranks(manager, actor);
  await masks.store.signIns.endSessionsOf(actor.id, masks.clock());
  audit(masks, 'session.ended', manager.who, { actorId: actor.id }, { session: 'all' });
}

/** Block a device: no sign-in there any more, and everyone signed in on it is signed out. */
export async function blockDeviceAs(masks: Masks, manager: Manager, deviceId: string): Promise<void> {
  const now = masks.clock();
  // Blocking signs out everyone on it: the manager must outrank each of them.
  for (const actorId of await masks.store.signIns.actorsOnDevice(deviceId, now)) {
    const actor = await masks.store.actors.find(actorId);
    if (actor) outranks(manager, actor);
  }
  await masks.store.signIns.blockDevice(deviceId, now);
  await masks.store.signIns.signOutDevice(deviceId, now);
  audit(masks, 'device.blocked', manager.who, {}, { device: deviceId });
}

/** How long a manager's links work by default: an invitation a week, a password reset a day. */
export const INVITATION_LIFETIME = 7 * 86_400;
export const RESET_LIFETIME = 86_400;

/** Email an actor a link to set up their account (an invitation) or choose a new password. */
export async function sendAccountLinkAs(masks: Masks, manager: Manager, actor: Actor, options: { invite: boolean; expiresIn: number }): Promise<{ address: string; expiresAt: number }> {
  outranks(manager, actor);
  if (actor.disabledAt !== null) throw conflict('The actor is disabled; enable them first.');
  const sent = await emailAccountLink(masks, actor, options);
  if (!sent) throw conflict('The actor has no email address to send a link to.');
  audit(masks, 'login-link.sent', manager.who, { actorId: actor.id }, { purpose: options.invite ? 'invitation' : 'password reset', expires_at: sent.expiresAt });
  return sent;
}
