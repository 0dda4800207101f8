/**
 * A factor set up at /account that needs a round trip (a passkey's challenge, a code texted
 * to a phone) keeps it where the sign-in keeps its own: on an attempt. Here a short one of
 * the account client, made for this browser and actor only to hold that (it never finishes;
 * the sweep removes it once expired).
 */
import { ACCOUNT_CLIENT_ID } from '../clients/service.js';
import type { Masks } from '../context.js';
import { audit, byActor } from '../audit/events.js';
import type { Actor, NewAuthenticator } from '../model.js';
import { randomToken } from '../security/secrets.js';
import { load, type Browser, type Loaded } from '../signin/core.js';
import type { AttemptChange } from '../storage/store.js';
import { codesIfFirst } from './service.js';

/** Start a ceremony for this browser and actor, writing `change` (a challenge) with it; undefined when the browser has no device. */
export async function startCeremony(masks: Masks, browser: Browser, actor: Actor, lifetime: number, change: Omit<AttemptChange, 'attemptId' | 'now' | 'create'> = {}): Promise<Loaded | undefined> {
  const client = await masks.store.clients.find(ACCOUNT_CLIENT_ID);
  if (!client || !browser.deviceId) return undefined;
  const now = masks.clock();
  const id = randomToken(24);
  const account = new URL('/account', masks.config.url).href;
  const created = { id, clientId: client.id, deviceId: browser.deviceId, actorId: actor.id, createdAt: now, expiresAt: now + lifetime };
  const request = { clientId: client.id, redirectUri: account, scope: [], prompt: [], returnTo: account };
  await masks.store.signIns.advanceAttempt({ attemptId: id, now, create: { ...created, request }, ...change });
  return { attempt: { ...created, request, passed: [], steps: [], completedAt: null }, client, deviceId: browser.deviceId };
}

/** A ceremony this browser started at /account for this actor, still going; undefined for anything else. */
export async function loadCeremony(masks: Masks, browser: Browser, actor: Actor, id: string): Promise<Loaded | undefined> {
  const loaded = await load(masks, browser, id).catch(() => undefined);
  return loaded && loaded.client.id === ACCOUNT_CLIENT_ID && loaded.attempt.actorId === actor.id ? loaded : undefined;
}

/**
 * End a ceremony: use up what it held (`use`) and store the new authenticator, in one command
 * (the first second factor comes with backup codes, returned once). Undefined when what it
 * held was used meanwhile.
 */
export async function enrolFromCeremony(masks: Masks, browser: Browser, actor: Actor, loaded: Loaded, authenticator: NewAuthenticator, use: NonNullable<AttemptChange['use']>): Promise<{ codes: string[] | undefined } | undefined> {
  const first = await codesIfFirst(masks, actor.id);
  const outcome = await masks.store.signIns.advanceAttempt({
    attemptId: loaded.attempt.id,
    now: masks.clock(),
    actorId: actor.id,
    use,
    enrol: { authenticator, firstOnly: false, ...(first ? { backupCodes: first.hashes } : {}) },
  });
  if (outcome !== 'ok') return undefined;
  audit(masks, 'factor.added', byActor(actor.id, browser.ip), { actorId: actor.id }, { kind: authenticator.kind, name: authenticator.name, during: '/account' });
  return { codes: first?.codes };
}
