/**
 * Validating an authorization request (RFC 6749 4.1.1, RFC 7636, OIDC Core 3.1.2.1).
 * The client and redirect_uri are checked first: until both are known good, errors are
 * pages (PageError), never redirects. After that, errors go back to the client.
 */
import type { Masks } from '../context.js';
import { PageError, RedirectError } from '../errors.js';
import { audit } from '../audit/events.js';
import type { Client } from '../model.js';
import { OAuthError, invalidRequest, mention } from './errors.js';
import type { Params } from './params.js';
import { matchesRedirectUri, redirectUriProblem, resolveAddress } from './redirect_uris.js';
import { ensureAllowed, parseScope } from './scopes.js';
import { requestedAcr, type Acr } from '../signin/factors.js';

export type Prompt = 'none' | 'login' | 'consent';

export interface AuthorizationRequest {
  clientId: string;
  redirectUri: string;
  scope: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
  prompt: Prompt[];
  maxAge?: number;
  loginHint?: string;
  idTokenHint?: string;
  /** The `sub` of a verified id_token_hint: the sign-in must end as that subject. */
  hintSub?: string;
  /** The level of assurance asked for (the first of acr_values masks supports): the checks it needs run even if the client does not demand them. */
  acr?: Acr;
  /** Where an internal client's sign-in returns to (a registered URI or a same-origin path). */
  returnTo?: string;
}

const PKCE_CHALLENGE = /^[A-Za-z0-9\-._~]{43,128}$/;
const PROMPTS = new Set<Prompt>(['none', 'login', 'consent']);

/** Find the client; an unknown one is an error page. */
export async function requireClient(masks: Masks, clientId: string | undefined): Promise<Client> {
  if (!clientId) throw new PageError('Unknown application', 'The sign-in link is missing its client_id. Go back to the application and try again.');
  const client = clientId.length <= 255 ? await masks.store.clients.find(clientId) : undefined;
  if (!client) throw new PageError('Unknown application', 'This sign-in link names an application masks does not know. Go back to the application and try again.');
  return client;
}

/** The redirect_uri to use, verified against the registration; anything doubtful is an error page. */
async function verifiedRedirectUri(masks: Masks, client: Client, requested: string | undefined): Promise<string> {
  if (requested === undefined) {
    if (client.redirectUris.length === 1 && !client.redirectUris[0]!.includes('*')) return client.redirectUris[0]!;
    throw new PageError('Invalid sign-in link', 'The link has no redirect_uri and the application has several. Go back to the application and try again.');
  }
  if (matchesRedirectUri(client, requested)) return requested;
  if (client.settings.autofill_redirect_uri && client.redirectUris.length === 0 && !redirectUriProblem(requested, client.type)) {
    const { id, name, secretHash, postLogoutRedirectUris, overrides, seeded } = client;
    await masks.store.clients.save({ id, name, secretHash, redirectUris: [requested], postLogoutRedirectUris, overrides, seeded });
    return requested;
  }
  const registered = client.redirectUris.length > 0 ? client.redirectUris.join(', ') : 'none';
  throw new PageError('Invalid sign-in link', 'The redirect_uri of this link is not registered for the application, so masks will not send you there.', 400, `redirect_uri ${JSON.stringify(shorten(requested))} is not registered; registered: ${registered}`);
}

/** Validate an authorization request for a confidential or public client. */
export async function parseAuthorizationRequest(masks: Masks, params: Params): Promise<{ client: Client; request: AuthorizationRequest }> {
  let clientId: string | undefined;
  let redirectParam: string | undefined;
  try {
    clientId = params.get('client_id');
    redirectParam = params.get('redirect_uri');
  } catch (error) {
    throw new PageError('Invalid sign-in link', error instanceof OAuthError && error.description ? error.description : 'malformed request');
  }
  const client = await requireClient(masks, clientId);
  try {
    return await validateFor(masks, client, params, redirectParam);
  } catch (error) {
    diagnose(masks, client, error);
    throw error;
  }
}

/** A string someone sent, cut to a length fit for the audit trail. */
const shorten = (value: string) => (value.length > 300 ? `${value.slice(0, 300)}…` : value);

/** An authorization request of a known client that failed: noted for its administrator (integration diagnostics). */
function diagnose(masks: Masks, client: Client, error: unknown) {
  const reason =
    error instanceof PageError ? (error.diagnosis ?? error.detail) : error instanceof RedirectError ? `${error.oauth.error}: ${error.oauth.description ?? ''}`.replace(/: $/, '') : undefined;
  if (reason !== undefined) audit(masks, 'authorize.failed', { by: `client:${client.id}`, ip: null }, { clientId: client.id }, { reason: shorten(reason) });
}

async function validateFor(masks: Masks, client: Client, params: Params, redirectParam: string | undefined): Promise<{ client: Client; request: AuthorizationRequest }> {
  if (client.type === 'internal') throw new PageError('Invalid sign-in link', 'This application signs in through masks directly, not with OAuth.');
  const redirectUri = await verifiedRedirectUri(masks, client, redirectParam);

  let state: string | undefined;
  try {
    state = params.get('state');
  } catch (error) {
    throw new RedirectError(error as OAuthError, redirectUri, undefined);
  }
  try {
    return { client, request: { ...validateRest(client, params), clientId: client.id, redirectUri, ...(state !== undefined ? { state } : {}) } };
  } catch (error) {
    if (error instanceof OAuthError) throw new RedirectError(error, redirectUri, state);
    throw error;
  }
}

function validateRest(client: Client, params: Params): Omit<AuthorizationRequest, 'clientId' | 'redirectUri' | 'state'> {
  const responseType = params.get('response_type');
  if (responseType === undefined) throw invalidRequest('response_type is missing');
  if (responseType !== 'code') throw new OAuthError('unsupported_response_type', 'only response_type=code is supported');
  const responseMode = params.get('response_mode');
  if (responseMode !== undefined && responseMode !== 'query') throw invalidRequest('only response_mode=query is supported');
  // OIDC Core 3.1.2.6: what masks does not support is refused by name, never ignored.
  if (params.has('request')) throw new OAuthError('request_not_supported', 'request objects are not supported');
  if (params.has('request_uri')) throw new OAuthError('request_uri_not_supported', 'request_uri is not supported');
  if (params.has('registration')) throw new OAuthError('registration_not_supported', 'the registration parameter is not supported');

  const scope = parseScope(params.get('scope'));
  ensureAllowed(scope, client.settings.scopes.allowed);

  const challenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (challenge === undefined) {
    if (method !== undefined) throw invalidRequest('code_challenge_method without code_challenge');
    if (client.type === 'public') throw invalidRequest('public clients must use PKCE (code_challenge with S256)');
  } else {
    if (method !== 'S256') throw invalidRequest('code_challenge_method must be S256');
    if (!PKCE_CHALLENGE.test(challenge)) throw invalidRequest('code_challenge must be 43 to 128 unreserved characters');
  }

  const prompt = (params.get('prompt') ?? '').split(' ').filter(Boolean) as Prompt[];
  for (const value of prompt) if (!PROMPTS.has(value)) throw invalidRequest(`prompt ${mention([value])} is not supported`);
  if (prompt.includes('none') && prompt.length > 1) throw invalidRequest('prompt=none cannot be combined with other values');

  const maxAgeText = params.get('max_age');
  let maxAge: number | undefined;
  if (maxAgeText !== undefined) {
    if (!/^\d{1,10}$/.test(maxAgeText)) throw invalidRequest('max_age must be a whole number of seconds');
    maxAge = Number(maxAgeText);
  }
  const nonce = params.get('nonce');
  const loginHint = params.get('login_hint');
  const idTokenHint = params.get('id_token_hint');
  params.get('ui_locales'); // tolerated
  // acr_values is a voluntary request (OIDC Core 5.5.1.1): levels masks does not know are passed over.
  const acr = requestedAcr((params.get('acr_values') ?? '').split(' ').filter(Boolean));
  return {
    scope,
    prompt,
    ...(nonce !== undefined ? { nonce } : {}),
    ...(challenge !== undefined ? { codeChallenge: challenge } : {}),
    ...(maxAge !== undefined ? { maxAge } : {}),
    ...(loginHint !== undefined ? { loginHint } : {}),
    ...(idTokenHint !== undefined ? { idTokenHint } : {}),
    ...(acr !== undefined ? { acr } : {}),
  };
}

/** What masks' own site is: its URL and the cookie domain internal clients share. */
export interface Site {
  url: string;
  cookieDomain: string;
}

export const siteOf = (masks: Masks): Site => ({ url: masks.config.url, cookieDomain: masks.config.cookie_domain });

/**
 * Is this resolved address on masks' origin, or an http(s) URL on the cookie domain (where
 * internal clients live)?
 */
function onSite(url: URL, site: Site): boolean {
  if (url.origin === new URL(site.url).origin) return true;
  const domain = site.cookieDomain.replace(/^\./, '').toLowerCase();
  if (!domain || !/^https?:$/.test(url.protocol) || url.username || url.password) return false;
  const host = url.hostname.toLowerCase();
  return host === domain || host.endsWith(`.${domain}`);
}

/**
 * Judge where an internal client's sign-in may return: a registered URI, or an address on
 * masks' origin or its cookie domain, as a browser would resolve it. Returns the resolved
 * absolute URL (what the browser will go to), or undefined when it may not go there.
 */
export function judgeReturnAddress(client: Client, wanted: string, site: Site): string | undefined {
  const url = resolveAddress(wanted, site.url);
  if (!url) return undefined;
  return matchesRedirectUri(client, url.href) || matchesRedirectUri(client, wanted) || onSite(url, site) ? url.href : undefined;
}

/**
 * Where an internal client's sign-in returns: `rd` or `redirect_uri` when judgeReturnAddress
 * allows it (an error page otherwise); without either, the client's first registered URI.
 */
export function internalReturnTo(client: Client, params: Params, site: Site): string {
  const wanted = params.get('rd') ?? params.get('redirect_uri');
  const fallback = client.redirectUris[0] ?? '/';
  const target = judgeReturnAddress(client, wanted ?? fallback, site);
  if (!target) throw new PageError('Invalid sign-in link', 'The address to return to is not registered for this application.');
  return target;
}

/** The redirect back to the client: code or error, with state and iss (RFC 9207). */
export function clientRedirect(redirectUri: string, issuer: string, values: Record<string, string | undefined>): string {
  const url = new URL(redirectUri);
  for (const [key, value] of Object.entries({ ...values, iss: issuer })) if (value !== undefined) url.searchParams.set(key, value);
  return url.toString();
}
