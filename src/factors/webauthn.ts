/**
 * WebAuthn (passkeys and security keys) with @simplewebauthn/server: the relying party is
 * masks' own URL (rpId its host name, the origin exactly), attestation `none`, and the
 * browser's answers checked against a challenge masks made for this attempt. The ceremony
 * JSON the browser sends is parsed here and nowhere else.
 */
import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import type { Config } from '../config/schema.js';
import type { Actor, Authenticator } from '../model.js';

/** How long a ceremony may take (milliseconds, for the browser). */
const TIMEOUT_MS = 300_000;
/** The largest ceremony answer taken (an attestation with certificates stays far below). */
const MAX_ANSWER_CHARS = 32_768;
/** WebAuthn Level 3 7.1 step 23: credential ids longer than 1023 bytes are refused. */
const MAX_CREDENTIAL_ID_BYTES = 1023;
const TRANSPORTS = new Set(['usb', 'nfc', 'ble', 'smart-card', 'hybrid', 'internal', 'cable']);

export const relyingParty = (config: Config) => {
  const url = new URL(config.url);
  return { rpID: url.hostname, origin: url.origin, rpName: config.webauthn.rp_name || config.name };
};

const credentialsOf = (authenticators: Authenticator[]) =>
  authenticators.filter((a) => a.kind === 'webauthn' && a.credentialId).map((a) => ({ id: a.credentialId!, transports: a.transports as never }));

/** Options to create a credential for `actor` (the ones they have are excluded). */
export function registrationOptions(config: Config, actor: Actor, existing: Authenticator[]): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const { rpID, rpName } = relyingParty(config);
  const userName = actor.nickname ?? actor.emails[0]?.address ?? actor.id;
  return generateRegistrationOptions({
    rpName,
    rpID,
    userName,
    userDisplayName: actor.name ?? userName,
    userID: new TextEncoder().encode(actor.id),
    attestationType: 'none',
    excludeCredentials: credentialsOf(existing),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    timeout: TIMEOUT_MS,
  });
}

/** Options to use one of `existing` (second factor), or any discoverable credential with user verification (passwordless: none given). */
export function authenticationOptions(config: Config, existing?: Authenticator[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: relyingParty(config).rpID,
    allowCredentials: existing ? credentialsOf(existing) : [],
    userVerification: existing ? 'preferred' : 'required',
    timeout: TIMEOUT_MS,
  });
}

/** What the browser sent, if it looks like a ceremony answer at all: its credential id and the challenge it signed. */
export function parseAnswer(text: string): { json: Record<string, unknown>; credentialId: string; challenge: string } | undefined {
  if (text.length === 0 || text.length > MAX_ANSWER_CHARS) return undefined;
  try {
    const json = JSON.parse(text) as { id?: unknown; response?: { clientDataJSON?: unknown } };
    if (typeof json.id !== 'string' || typeof json.response?.clientDataJSON !== 'string') return undefined;
    const clientData = JSON.parse(Buffer.from(json.response.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    if (typeof clientData.challenge !== 'string') return undefined;
    return { json: json as Record<string, unknown>, credentialId: json.id, challenge: clientData.challenge };
  } catch {
    return undefined;
  }
}

/** A new credential, verified against `challenge`; undefined when it does not verify. */
export async function verifyRegistration(config: Config, answer: Record<string, unknown>, challenge: string) {
  const { rpID, origin } = relyingParty(config);
  try {
    const result = await verifyRegistrationResponse({ response: answer as unknown as RegistrationResponseJSON, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpID, requireUserVerification: false });
    if (!result.verified) return undefined;
    const { credential } = result.registrationInfo;
    if (Buffer.from(credential.id, 'base64url').length > MAX_CREDENTIAL_ID_BYTES) return undefined;
    // Transports come from the browser as sent: only known ones are kept (they go back in allowCredentials).
    const transports = [...new Set((Array.isArray(credential.transports) ? credential.transports : []).filter((t): t is string => typeof t === 'string' && TRANSPORTS.has(t)))];
    return { credentialId: credential.id, publicKey: Buffer.from(credential.publicKey).toString('base64url'), counter: credential.counter, transports };
  } catch {
    return undefined;
  }
}

/** A use of `authenticator`, verified against `challenge`: its new signature counter, or undefined. */
export async function verifyAuthentication(config: Config, answer: Record<string, unknown>, challenge: string, authenticator: Authenticator, requireUserVerification: boolean): Promise<number | undefined> {
  const { rpID, origin } = relyingParty(config);
  if (!authenticator.credentialId || !authenticator.publicKey) return undefined;
  try {
    const result = await verifyAuthenticationResponse({
      response: answer as unknown as AuthenticationResponseJSON,
      expectedChallenge: challenge,
      expectedOrigin: origin,
      expectedRPID: rpID,
      credential: { id: authenticator.credentialId, publicKey: Buffer.from(authenticator.publicKey, 'base64url'), counter: authenticator.counter, transports: authenticator.transports as never },
      requireUserVerification,
    });
    return result.verified ? result.authenticationInfo.newCounter : undefined;
  } catch {
    return undefined;
  }
}
