/**
 * RP-Initiated Logout 1.0, without HTTP: masks signs out at once and returns to the client
 * only when the id_token_hint names this browser's session (its person and its `sid`) and
 * the post_logout_redirect_uri is registered for the hint's client. Anyone else's token, an
 * old session's, or none at all must be confirmed first; masks returns only to a
 * registered URI.
 */
import type { Masks } from '../context.js';
import type { Client, Session } from '../model.js';
import { verifyIdTokenHint } from '../oauth/id_token_hint.js';
import { hasUnsafeCharacters } from '../oauth/redirect_uris.js';
import { subjectFor } from '../oauth/subjects.js';
import { liveSession } from './sessions.js';
import { audit } from '../audit/events.js';

export interface LogoutRequest {
  idTokenHint: string | undefined;
  postLogoutRedirectUri: string | undefined;
  state: string | undefined;
  /** client_id, for a request without a hint. */
  clientId: string | undefined;
}

/** Signed out: go to the client's registered URI, or (none) say so. */
export type SignedOut = { kind: 'signed-out'; location: string | undefined };

export type LogoutStep =
  | SignedOut
  /** Ask first; the confirmation posts back what the request said (the client it names). */
  | { kind: 'confirm'; clientId: string | undefined };

/** A verified id_token_hint and the client it was issued to. */
interface Hint {
  client: Client;
  sub: string;
  sid: string | undefined;
}

async function verifiedHint(masks: Masks, hint: string | undefined): Promise<Hint | undefined> {
  if (!hint) return undefined;
  try {
    const claims = await verifyIdTokenHint(masks, hint);
    const client = await masks.store.clients.find(claims.aud);
    return client && { client, sub: claims.sub, sid: claims.sid };
  } catch {
    return undefined;
  }
}

/** Was the hint issued in this very session, to its person? */
async function namesSession(masks: Masks, hint: Hint, session: Session): Promise<boolean> {
  if (hint.sid !== session.id) return false;
  const actor = await masks.store.actors.find(session.actorId);
  return actor !== undefined && subjectFor(masks, hint.client, actor) === hint.sub;
}

/** post_logout_redirect_uri, only when registered for the client exactly (with state appended). */
function returnUrl(client: Client | undefined, uri: string | undefined, state: string | undefined): string | undefined {
  if (!client || !uri || hasUnsafeCharacters(uri) || !URL.canParse(uri) || !client.postLogoutRedirectUris.includes(uri)) return undefined;
  const url = new URL(uri);
  if (state !== undefined) url.searchParams.set('state', state);
  return url.toString();
}

/** Who is signing out: the browser's session cookie and its device. */
export interface LeavingBrowser {
  sessionCookie: string | undefined;
  deviceId: string | undefined;
}

/**
 * Sign this browser out: the session its cookie points at, and (by its device, even when
 * the session cookie is gone, as after a browser restart) every session on the device, the
 * internal cookies issued in them, and the factors remembered there.
 */
async function endSession(masks: Masks, browser: LeavingBrowser): Promise<void> {
  const now = masks.clock();
  const session = await liveSession(masks, browser.sessionCookie, undefined, now);
  if (session) {
    await masks.store.signIns.endSession(session.hash, session.id, now);
    audit(masks, 'sign-out', { by: `actor:${session.actorId}`, ip: null }, { actorId: session.actorId }, { session: session.id });
  }
  if (browser.deviceId) await masks.store.signIns.signOutDevice(browser.deviceId, now);
}

/** GET /logout: sign out at once (a hint naming this session, or nothing to sign out of), or ask. */
export async function requestLogout(masks: Masks, browser: LeavingBrowser, request: LogoutRequest): Promise<LogoutStep> {
  const hint = await verifiedHint(masks, request.idTokenHint);
  const target = returnUrl(hint?.client, request.postLogoutRedirectUri, request.state);
  const session = await liveSession(masks, browser.sessionCookie, undefined, masks.clock());
  if (hint && target && (!session || (await namesSession(masks, hint, session)))) {
    await endSession(masks, browser);
    return { kind: 'signed-out', location: target };
  }
  return { kind: 'confirm', clientId: request.clientId ?? hint?.client.id };
}

/** GET /logout from a browser with nothing to confirm with (no device cookie): sign out, return nowhere. */
export async function logoutWithoutConfirmation(masks: Masks, sessionCookie: string | undefined): Promise<SignedOut> {
  await endSession(masks, { sessionCookie, deviceId: undefined });
  return { kind: 'signed-out', location: undefined };
}

/** The confirmed POST /logout: sign out, and return to the named client's registered URI if any. */
export async function confirmLogout(masks: Masks, browser: LeavingBrowser, request: Omit<LogoutRequest, 'idTokenHint'>): Promise<SignedOut> {
  await endSession(masks, browser);
  const client = request.clientId && request.clientId.length <= 255 ? await masks.store.clients.find(request.clientId) : undefined;
  return { kind: 'signed-out', location: returnUrl(client, request.postLogoutRedirectUri, request.state) };
}
