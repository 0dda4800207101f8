/**
 * The domain: what masks stores and every layer speaks of, with no database driver in
 * sight. Stores (src/storage/store.ts) read and write these; times are unix seconds.
 */
import type { ClientOverrides, ClientSettings } from './config/schema.js';
import type { AuthorizationRequest } from './oauth/authorization_request.js';
import type { PassedFactor } from './signin/factors.js';

export type ClientType = ClientSettings['client_type'];

export interface Client {
  id: string;
  name: string;
  type: ClientType;
  /** Keyed hash (HMAC-SHA-256 with the installation secret) of the client secret. */
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  /** What this client sets itself. */
  overrides: ClientOverrides;
  /** Effective settings: defaults with the overrides applied. */
  settings: ClientSettings;
  /** Declared by masks.yml seeds (each boot makes it match the file). */
  seeded: boolean;
  /** After a secret rotation with an overlap: the old secret's keyed hash, accepted until previousSecretExpiresAt. */
  previousSecretHash: string | null;
  previousSecretExpiresAt: number | null;
  /** Raised by every change (the management API's ETag). */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** What is stored of a client (its settings are derived from the overrides). */
export interface ClientRecord {
  id: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  overrides: ClientOverrides;
  seeded: boolean;
  /** The old secret during a rotation overlap (left out: kept as stored; null: none). */
  previousSecretHash?: string | null;
  previousSecretExpiresAt?: number | null;
}

export interface Actor {
  id: string;
  /** Normalised (NFKC, lower case); null when the actor has none. */
  nickname: string | null;
  /** Random per-actor UUID for the public-uuid subject type. */
  publicUuid: string;
  name: string | null;
  passwordHash: string | null;
  /** When they completed onboarding (the onboarded check); null until then. */
  onboardedAt: number | null;
  scopes: string[];
  emails: Array<{ address: string; verifiedAt: number | null }>;
  /** A disabled actor cannot sign in; null while enabled. */
  disabledAt: number | null;
  /** Raised by every change (the management API's ETag). */
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** A change to an actor; what is left out stays as it is. Identifiers already normalised and checked. */
export interface ActorChange {
  nickname?: string | null;
  /** The actor's address (replacing the ones they had; kept verified when it is one of them). */
  email?: string | null;
  name?: string | null;
  scopes?: string[];
  /** true: disabled, signed out everywhere and every token revoked, in the same command. */
  disabled?: boolean;
}

/** A new actor: identifiers already normalised, the password already hashed. */
export interface NewActor {
  nickname?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  passwordHash?: string | undefined;
  scopes?: string[] | undefined;
  emailVerified?: boolean | undefined;
}

export type TokenKind = 'access_token' | 'refresh_token' | 'authorization_code' | 'internal_token';

/** What a signed-in grant remembers about the sign-in (kept with its code and refresh token). */
export interface SignInFacts {
  auth_time: number;
  amr: string[];
  /** The grant's absolute end (refresh_token_expires_in from the first issue); refresh tokens only. */
  grant_expires_at?: number;
}

/** What an authorization code is bound to (RFC 6749 4.1.3, RFC 7636) besides its client. */
export interface CodeBinding extends SignInFacts {
  redirect_uri: string;
  code_challenge: string | null;
  nonce: string | null;
  max_age: number | null;
}

interface TokenCommon {
  /** The token's public identifier (JWT `jti`). */
  id: string;
  /** SHA-256 of the token string as handed out; the string itself is never stored. */
  hash: string;
  clientId: string;
  actorId: string | null;
  /** Ties together what one grant issued (revoked together on a replay). */
  grantId: string | null;
  grantType: string;
  /** Space-separated, as in the protocol. */
  scope: string;
  format: 'opaque' | 'jwt';
  /** The subject as the client sees it (client_id for client_credentials). */
  sub: string | null;
  /** The session the token was issued in (OIDC `sid`). */
  sid: string | null;
  createdAt: number;
  expiresAt: number;
}

/** A token as issued, by kind: what each kind carries besides the common columns. */
export type NewToken =
  | (TokenCommon & { kind: 'access_token'; facts?: SignInFacts })
  | (TokenCommon & { kind: 'internal_token' })
  | (TokenCommon & { kind: 'refresh_token'; facts: SignInFacts })
  | (TokenCommon & { kind: 'authorization_code'; binding: CodeBinding });

/** A stored token: as issued, plus whether it was used up or revoked. */
export type TokenRecord = NewToken & { consumedAt: number | null; revokedAt: number | null };

export interface Device {
  id: string;
  userAgent: string;
  ip: string;
  createdAt: number;
  lastSeenAt: number;
  /** A blocked device is denied every sign-in. */
  blockedAt: number | null;
}

/** Signed-in sessions of an actor on a device, known by the SHA-256 of the session cookie. */
export interface Session {
  hash: string;
  id: string;
  actorId: string;
  deviceId: string;
  /** When the actor last proved a credential (OIDC auth_time). */
  authTime: number;
  amr: string[];
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  endedAt: number | null;
}

/** A second factor an actor set up: an authenticator app (TOTP), a passkey or security key (WebAuthn), or a phone (SMS). */
export interface Authenticator {
  id: string;
  actorId: string;
  kind: 'totp' | 'webauthn' | 'phone';
  /** The actor's name for it ("Phone", "Work laptop"). */
  name: string;
  /** TOTP: the secret; phone: the number (E.164). Sealed (src/security/sealing.ts), never stored in the clear. */
  secret: string | null;
  /** TOTP: the last step used: a code at or before it is refused. */
  lastStep: number | null;
  /** WebAuthn: the credential's id (base64url), public key (COSE, base64url) and transports. */
  credentialId: string | null;
  publicKey: string | null;
  /** WebAuthn: the signature counter; when not zero, each use must raise it. */
  counter: number;
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

export type NewAuthenticator = Pick<Authenticator, 'id' | 'actorId' | 'kind' | 'name'> & Partial<Pick<Authenticator, 'secret' | 'credentialId' | 'publicKey' | 'counter' | 'transports'>>;

/** A WebAuthn challenge, made for one attempt and purpose. */
export interface Challenge {
  challenge: string;
  attemptId: string;
  purpose: 'register' | 'authenticate' | 'passwordless';
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

/** A login link (and its code) emailed for one sign-in attempt. */
export interface LoginLink {
  /** SHA-256 of the link's token. */
  hash: string;
  attemptId: string;
  /** Null when the address is no one's (nothing was sent). */
  actorId: string | null;
  address: string;
  /** sign-in: a login link and code; verify: a code proving the address; sms: a code by text message (`address`: the sealed number). */
  purpose: 'sign-in' | 'verify' | 'sms';
  /** Keyed hash of the code. */
  codeHash: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export type NewLoginLink = Omit<LoginLink, 'createdAt' | 'usedAt'>;

/** Steps of an attempt that are not factors: consent given, a login link asked for (to reset the password), onboarding done, the address verified, a new password set. */
export type AttemptStep = 'consent' | 'login-link' | 'password-reset' | 'onboarded' | 'email-verified' | 'password-set';

export interface Attempt {
  id: string;
  clientId: string;
  deviceId: string;
  /** The actor the attempt belongs to, once a check has named them. */
  actorId: string | null;
  /** The validated authorization request; for internal clients only returnTo matters. */
  request: AuthorizationRequest;
  passed: PassedFactor[];
  steps: AttemptStep[];
  createdAt: number;
  expiresAt: number;
  completedAt: number | null;
}

/** A public signing key and how long it is published. */
export interface SigningKeyRecord {
  kid: string;
  alg: 'RS256' | 'ES256';
  publicJwk: Record<string, unknown>;
  createdAt: number;
  retiredAt: number | null;
  publishUntil: number | null;
}

/** Scopes an actor allowed a client. */
export interface Consent {
  clientId: string;
  scopes: string[];
  grantedAt: number;
}

/** One entry of the audit trail. Never holds a secret. */
export interface AuditEvent {
  id: number;
  /** Unix seconds. */
  at: number;
  /** What happened, e.g. `sign-in`, `sign-in.failed`, `client.changed` (src/audit/events.ts lists them). */
  type: string;
  /** The actor it is about, if any. */
  actorId: string | null;
  clientId: string | null;
  /** Who acted: `actor:<id>`, `client:<id>` or `masks`. */
  by: string;
  ip: string | null;
  detail: Record<string, unknown>;
}

export type NewEvent = Omit<AuditEvent, 'id'>;

/**
 * A client as `masks export` carries it to another installation: what is stored (the secret
 * as its keyed hash, the overrides as stored), less the revision.
 */
export type PortableClient = Required<ClientRecord> & { createdAt: number };

/** An actor as `masks export` carries it: all that signs them in (hashes and sealed secrets only) and what they allowed. */
export interface PortableActor {
  id: string;
  /** Kept exactly: the public-uuid subject clients have seen (pairwise subjects are derived from `id`). */
  publicUuid: string;
  nickname: string | null;
  name: string | null;
  passwordHash: string | null;
  passwordChangedAt: number | null;
  onboardedAt: number | null;
  scopes: string[];
  disabledAt: number | null;
  createdAt: number;
  emails: Array<{ address: string; verifiedAt: number | null; createdAt: number }>;
  /** Second factors as stored: TOTP secrets and phone numbers stay sealed. */
  authenticators: Array<Omit<Authenticator, 'actorId'>>;
  /** Keyed hashes, used or not. */
  backupCodes: Array<{ hash: string; createdAt: number; usedAt: number | null }>;
  consents: Consent[];
}

/** Clients and actors, moved between installations (and databases) by `masks export` and `masks import`. */
export interface Portable {
  clients: PortableClient[];
  actors: PortableActor[];
}
