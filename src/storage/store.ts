/**
 * The one storage boundary: every read and every write of masks goes through a Store,
 * async throughout, so that SQLite (embedded, the default) and a networked database can
 * stand behind it alike. Every multi-step write is one named command and one transaction.
 * Caches live inside the stores, so whoever revokes or ends something cannot forget to
 * invalidate them. Nothing outside src/storage/ touches a database handle.
 *
 * test/storage/contract.ts is the suite any implementation must pass.
 */
import type { Counters } from '../security/rate_limit.js';
import type { Actor, ActorChange, Attempt, AuditEvent, Consent, NewEvent, Authenticator, Challenge, Client, ClientRecord, Device, LoginLink, NewActor, NewAuthenticator, NewLoginLink, NewToken, Portable, Session, SigningKeyRecord, TokenKind, TokenRecord } from '../model.js';

export interface ClientStore {
  /** Cached briefly; a change made through this store is seen at once. */
  find(id: string): Promise<Client | undefined>;
  list(): Promise<Client[]>;
  /**
   * Insert or replace; returns the stored client. With `expectRevision`, only if the stored
   * client is still at that revision (else StaleError, nothing written; a missing one: undefined).
   */
  save(record: ClientRecord, expectRevision?: number): Promise<Client>;
  /** Returns whether there was one. Its tokens, consents and attempts go with it. */
  delete(id: string): Promise<boolean>;
}

export interface ActorStore {
  find(id: string): Promise<Actor | undefined>;
  /** By nickname or email address (normalised by the caller). */
  findByIdentifier(identifier: string): Promise<Actor | undefined>;
  list(): Promise<Actor[]>;
  /** A page of actors, oldest first, whose nickname, email address or name contains `text` (case-insensitive). */
  search(query: ActorQuery): Promise<{ actors: Actor[]; total: number }>;
  /** Does any actor hold this scope? */
  hasScope(scope: string): Promise<boolean>;
  /** How many enabled actors hold this scope. */
  countWithScope(scope: string): Promise<number>;
  /** Throws when a nickname or email is taken. */
  create(actor: NewActor): Promise<Actor>;
  /**
   * Change an actor in one command (disabling signs them out everywhere, revokes every token
   * and voids unused emailed links at once). With `expectRevision`, only if still at that
   * revision (else StaleError); with `keepScope`, only if an enabled actor still holds that
   * scope after (else LastHolderError): checked and written together, so two changes at once
   * cannot both take the last one. Undefined when there is no such actor.
   */
  update(id: string, change: ActorChange, now: number, guard?: ActorGuard): Promise<Actor | undefined>;
  /** Returns whether there was one; everything of theirs goes with them (events stay). `keepScope` as for update. */
  delete(id: string, guard?: Pick<ActorGuard, 'keepScope'>): Promise<boolean>;
  /** A new password (hashed) chosen by the actor: every other session of theirs ends (`keepSession`: the sid that stays). */
  setPassword(id: string, passwordHash: string, now: number, keepSession?: string): Promise<void>;
}

export interface ActorGuard {
  expectRevision?: number | undefined;
  keepScope?: string | undefined;
}

export interface ActorQuery {
  text?: string | undefined;
  limit: number;
  offset: number;
}

/** A live session with the device it is on. */
export type SessionOnDevice = Session & { device: Device | undefined };

/** ok; used: presented before (its grant is now revoked); invalid: unknown, another client's, revoked or expired. */
export type ExchangeResult = 'ok' | 'used' | 'invalid';

export interface Exchange {
  /** SHA-256 of the presented code or refresh token. */
  hash: string;
  clientId: string;
  now: number;
  /** What it is exchanged for, stored in the same transaction. */
  tokens: NewToken[];
}

export interface TokenStore {
  /** By the SHA-256 of its value; cached briefly (every change through a store clears the cache). */
  findByHash(hash: string): Promise<TokenRecord | undefined>;
  /** The token with this value if it is one of `kinds` and usable now (not revoked, used or expired). */
  live(value: string, kinds: readonly TokenKind[], now: number): Promise<TokenRecord | undefined>;
  /** Store a newly issued token; resolves once it is durable. */
  insert(token: NewToken): Promise<void>;
  revoke(hash: string, now: number): Promise<void>;
  revokeGrant(grantId: string, now: number): Promise<void>;
  /** Redeem a code once and store what it buys; a second use revokes its grant (RFC 6749 4.1.2). */
  redeemCode(exchange: Exchange): Promise<ExchangeResult>;
  /** Rotate a refresh token once; presenting a rotated one again revokes the grant (RFC 9700 4.14.2). */
  rotateRefreshToken(exchange: Exchange): Promise<ExchangeResult>;
}

/** The device a request came from, as recorded when someone signs in on it. */
export interface DeviceSeen {
  id: string;
  userAgent: string;
  ip: string;
}

/** A session as a finished sign-in creates it (its times come from the command's `now`). */
export type NewSession = Omit<Session, 'createdAt' | 'lastSeenAt' | 'endedAt'>;

/** What a finished sign-in writes besides completing its attempt. */
export interface Finish {
  device: DeviceSeen;
  /** Hash of the live session carried on (SSO). */
  touch?: string;
  /** The session a fresh sign-in replaces. */
  end?: { hash: string; sid: string };
  create?: NewSession;
  /** The authorization code or the internal-client cookie token. */
  token: NewToken;
}

export interface NewAttempt {
  id: string;
  clientId: string;
  deviceId: string;
  actorId: string | null;
  request: Attempt['request'];
  createdAt: number;
  expiresAt: number;
}

/** Everything one step of a sign-in (one request, one form post) changes: one command, one transaction. */
export interface AttemptChange {
  attemptId: string;
  now: number;
  /** Create the attempt first (the step at /authorize). */
  create?: NewAttempt;
  /**
   * Take an attempt made for no device yet (a link a manager emailed, deviceId '') for this
   * device; another device's attempt is 'refused'.
   */
  claim?: string;
  /** The actor this step names; another actor than the stored one starts the attempt afresh. */
  actorId?: string;
  /** A factor passed in this step: appended to the attempt's (remembered on the device once the sign-in finishes). */
  passed?: { factor: string; device: DeviceSeen };
  /** Consent given in this step, for the attempt's client: the scopes join those granted before. */
  consent?: { scopes: string[] };
  /**
   * What this step's factor uses up: a TOTP step (later than the authenticator's last) or a
   * backup code (by its keyed hash, unused). Already used: 'refused', nothing written.
   */
  use?:
    | { totpStep: { authenticatorId: string; step: number } }
    | { backupCode: string }
    | { loginLink: string }
    | { verification: string }
    | { smsCode: string }
    /** A WebAuthn challenge of the attempt, and the credential's new signature counter (which must grow when not zero). */
    | { challenge: string; webauthn?: { authenticatorId: string; counter: number } };
  /** A WebAuthn challenge made in this step (the attempt's older unused ones of its purpose go). */
  challenge?: Omit<Challenge, 'attemptId' | 'createdAt' | 'usedAt'>;
  /**
   * A link or code was emailed in this step (replacing the attempt's unused ones of the same
   * purpose). For sign-in, the attempt shows the login-code prompt from now on.
   */
  linkSent?: { link: NewLoginLink; reset?: boolean };
  /** A new password (hashed) chosen in this step: it replaces the old one and ends the actor's sessions. */
  newPassword?: string;
  /**
   * A second factor set up in this step, with a new set of backup codes (keyed hashes) when
   * given. `firstOnly`: only while the actor has none (else 'refused', nothing written):
   * adding one beside another needs one of them passed first.
   */
  enrol?: { authenticator: NewAuthenticator; backupCodes?: string[]; firstOnly: boolean };
  /** Onboarding done in this step: the actor's name, and a password (hashed) if they have none. */
  onboard?: { name: string; passwordHash?: string };
  /** A new hash of the actor's password (stronger argon2 parameters). */
  rehash?: string;
  /** End the attempt: with what the client gets, or 'denied'. */
  finish?: Finish | 'denied';
}

/** ok; finished: the attempt is unknown or already finished; refused: what it would use up was used (or a first factor was set up meanwhile). */
export type AdvanceResult = 'ok' | 'finished' | 'refused';

export interface SignInStore {
  /** A device's record; none until someone has signed in on it. */
  device(id: string): Promise<Device | undefined>;
  attempt(id: string): Promise<Attempt | undefined>;
  /** By the SHA-256 of the session cookie. */
  session(hash: string): Promise<Session | undefined>;
  /** When the actor last passed a factor of `kind` (or of any of several kinds) on the device after `since`, and for which client. */
  lastFactor(actorId: string, deviceId: string, kind: string | readonly string[], since: number): Promise<{ passedAt: number; clientId: string } | undefined>;
  consentedScopes(actorId: string, clientId: string): Promise<string[]>;
  /** A login link by the SHA-256 of its token. */
  loginLink(hash: string): Promise<LoginLink | undefined>;
  /** A WebAuthn challenge by its value. */
  challenge(value: string): Promise<Challenge | undefined>;
  /** The attempt's newest unused login link (or verification code), if any. */
  pendingLoginLink(attemptId: string, purpose: LoginLink['purpose']): Promise<LoginLink | undefined>;
  /**
   * One step of a sign-in (see AttemptChange). Writes nothing unless it returns 'ok': each
   * attempt finishes once, and each code or step is used once.
   */
  advanceAttempt(change: AttemptChange): Promise<AdvanceResult>;
  /**
   * Sign out: end a session, revoke the internal-client cookies issued in it, and forget
   * the factors its actor passed on its device (the next sign-in there proves them again).
   */
  endSession(hash: string, sid: string, now: number): Promise<void>;
  /** Sign a device out: end every session on it with the internal cookies issued in them, and forget the factors remembered there. */
  signOutDevice(deviceId: string, now: number): Promise<void>;
  blockDevice(id: string, now: number): Promise<void>;
  /** Sign an actor out everywhere: every session ends with its internal cookies, and the factors remembered for them are forgotten. */
  endSessionsOf(actorId: string, now: number): Promise<void>;
  /** The actors with a live session on a device. */
  actorsOnDevice(deviceId: string, now: number): Promise<string[]>;
  /** A session by its id (OIDC sid). */
  sessionById(id: string): Promise<Session | undefined>;
  /** The actor's sessions still live at `now`, newest first. */
  sessionsOf(actorId: string, now: number): Promise<SessionOnDevice[]>;
  /** The apps an actor consented to, and to what. */
  consentsOf(actorId: string): Promise<Consent[]>;
  /** Withdraw consent: the next sign-in asks again, and the tokens the client holds for the actor are revoked. Returns whether there was one. */
  withdrawConsent(actorId: string, clientId: string, now: number): Promise<boolean>;
}

/** Second factors an actor set up, and their backup codes. */
export interface FactorStore {
  authenticators(actorId: string): Promise<Authenticator[]>;
  /** A WebAuthn credential by its id, whoever it belongs to (passwordless sign-in). */
  byCredentialId(credentialId: string): Promise<Authenticator | undefined>;
  /** How many of the actor's backup codes are unused. */
  backupCodesLeft(actorId: string): Promise<number>;
  /** Remove one of the actor's authenticators (the last one takes the backup codes with it). Returns whether there was one. */
  removeAuthenticator(actorId: string, id: string): Promise<boolean>;
  /**
   * Add an authenticator outside a sign-in (/account), with a new set of backup codes when
   * given, and the TOTP step its confirming code used. An id or WebAuthn credential id
   * already known is refused (false, nothing written).
   */
  add(authenticator: NewAuthenticator, extra: { backupCodes?: string[] | undefined; lastStep?: number | undefined }, now: number): Promise<boolean>;
  /** A new set of backup codes (keyed hashes) replacing the old one. */
  replaceBackupCodes(actorId: string, hashes: string[], now: number): Promise<void>;
}

export interface EventQuery {
  /** Events about this actor or done by them. */
  actorId?: string | undefined;
  clientId?: string | undefined;
  /** A type, or a family with a trailing `.*` (`client.*`). */
  type?: string | undefined;
  /** At or after (unix seconds). */
  since?: number | undefined;
  /** Older than this event id (the next page). */
  before?: number | undefined;
  limit: number;
}

/** The audit trail: appended to, read newest first, swept after events.retention. */
export interface EventStore {
  append(event: NewEvent): Promise<void>;
  list(query: EventQuery): Promise<AuditEvent[]>;
}

export interface SigningKeyStore {
  /** The keys published at `now`: active ones and retired ones still within publishUntil, newest first. */
  published(now: number): Promise<SigningKeyRecord[]>;
  /** Record the active keys; every other key still active is retired and published until `publishUntil`. */
  activate(keys: Array<Pick<SigningKeyRecord, 'kid' | 'alg' | 'publicJwk'>>, now: number, publishUntil: number): Promise<void>;
  /** Call `listener` whenever the published keys may have changed: here, or on another node sharing the database. */
  watch(listener: () => void): void;
}

export interface SettingStore {
  get<T>(key: string): Promise<T | undefined>;
  set(key: string, value: unknown, now: number): Promise<void>;
}

export interface Sweep {
  now: number;
  /** Tokens and sessions that expired before this go. */
  before: number;
  /** Unblocked devices not seen since this go. */
  devicesBefore: number;
  /** Audit events older than this go. */
  eventsBefore: number;
}

/**
 * An identifier an import brings that must be new to the installation (src/storage/claims.ts
 * lists them): a client id, an actor id, nickname, email address or public UUID, an
 * authenticator id or a WebAuthn credential id.
 */
export interface ImportClaim {
  kind: 'client' | 'actor' | 'nickname' | 'email' | 'public-uuid' | 'authenticator' | 'credential';
  value: string;
}

export interface Store {
  clients: ClientStore;
  actors: ActorStore;
  tokens: TokenStore;
  signIns: SignInStore;
  factors: FactorStore;
  signingKeys: SigningKeyStore;
  settings: SettingStore;
  events: EventStore;
  /** Failure counts of the rate limits (guesses, sends, client authentication): shared by every node of the installation. */
  limits: Counters;
  /** Delete what has expired (attempts at once, tokens and sessions after `before`); returns how many tokens went. */
  sweep(args: Sweep): Promise<number>;
  /** Run `task` while no other process of the installation runs one of the same name (nodes booting together seed one after another). */
  exclusively<T>(name: 'bootstrap', task: () => Promise<T>): Promise<T>;
  /** Resolves while the database answers (readiness). */
  ping(): Promise<void>;
  /** Durable commits so far: batches, the writes in them, and the seconds spent committing them (metrics: the store's write latency). */
  stats(): { batches: number; writes: number; seconds: number };
  /**
   * Every client and actor, with the actors' addresses, second factors, backup codes and
   * consents, read as one consistent snapshot (`masks export`).
   */
  exportAll(): Promise<Portable>;
  /**
   * Write clients and actors as given (ids, public UUIDs, hashes and times kept), in one
   * transaction (`masks import`). Returns the claims already taken here, in the order
   * claimsOf lists them: when there are any, nothing is written. Their consents name clients of `data`, or clients already here.
   */
  importAll(data: Portable, now: number): Promise<ImportClaim[]>;
  /** A consistent copy of the whole database in `file` (new, mode 0600), taken while masks keeps serving (`masks backup`). */
  backup(file: string): Promise<void>;
  /** Wait for pending writes and close. */
  close(): Promise<void>;
}
