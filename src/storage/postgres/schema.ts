/**
 * The PostgreSQL tables: the same tables, columns and meanings as the SQLite schema
 * (src/storage/sqlite/schema.ts, where each is explained), in PostgreSQL's types: times are
 * unix seconds as bigint, JSON is jsonb, flags are boolean.
 * `npm run db:generate` turns changes here into migrations in db/postgres/.
 */
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, index, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';

/** Unix seconds (bigint, read as a number). */
const integer = (name: string) => bigint(name, { mode: 'number' });

/** Installation-wide settings and facts (first boot, etc.), as JSON values. */
export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const clients = pgTable('clients', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** Keyed hash (HMAC-SHA-256 with the installation secret) of the client secret. */
  secretHash: text('secret_hash'),
  redirectUris: jsonb('redirect_uris').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  postLogoutRedirectUris: jsonb('post_logout_redirect_uris').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /** Overrides of the `clients.*` defaults; everything not here is inherited. */
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  /** Declared by masks.yml seeds (each boot makes it match the file). */
  seeded: boolean('seeded').notNull().default(false),
  /** After a secret rotation with an overlap: the old secret's keyed hash, accepted until `previousSecretExpiresAt`. */
  previousSecretHash: text('previous_secret_hash'),
  previousSecretExpiresAt: integer('previous_secret_expires_at'),
  /** Raised by every change: the management API's ETag, so two admins cannot overwrite each other. */
  revision: integer('revision').notNull().default(1),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const actors = pgTable('actors', {
  id: text('id').primaryKey(),
  /** Normalised (NFKC, lower case); null when the actor has none. */
  nickname: text('nickname').unique(),
  /** Random per-actor UUID for the public-uuid subject type. */
  publicUuid: text('public_uuid').notNull().unique(),
  name: text('name'),
  passwordHash: text('password_hash'),
  passwordChangedAt: integer('password_changed_at'),
  /** When the actor completed onboarding (a name, and a password if they had none): the onboarded check. */
  onboardedAt: integer('onboarded_at'),
  scopes: jsonb('scopes').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  /** A disabled actor cannot sign in; disabling ends their sessions and revokes their tokens. */
  disabledAt: integer('disabled_at'),
  /** Raised by every change made through the management API or /account (its ETag). */
  revision: integer('revision').notNull().default(1),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const emails = pgTable(
  'emails',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorId: text('actor_id').notNull().references(() => actors.id, { onDelete: 'cascade' }),
    /** Normalised (NFKC, lower case). */
    address: text('address').notNull().unique(),
    verifiedAt: integer('verified_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('emails_actor_id').on(t.actorId)],
);

/**
 * Access tokens, refresh tokens and authorization codes, keyed by `hash`: the SHA-256 of
 * the token string as handed out. `id` is the token's public identifier (JWT `jti`);
 * `grantId` ties together what one grant issued. Few indexes: every index is another page
 * to write (and fsync) for each token issued.
 */
export const tokens = pgTable(
  'tokens',
  {
    hash: text('hash').primaryKey(),
    id: text('id').notNull(),
    kind: text('kind', { enum: ['access_token', 'refresh_token', 'authorization_code', 'internal_token'] }).notNull(),
    clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
    actorId: text('actor_id').references(() => actors.id, { onDelete: 'cascade' }),
    grantId: text('grant_id'),
    grantType: text('grant_type').notNull(),
    scope: text('scope').notNull().default(''),
    format: text('format', { enum: ['opaque', 'jwt'] }).notNull().default('opaque'),
    /** The subject as the client sees it (client_id for client_credentials). */
    sub: text('sub'),
    /** The session the token was issued in (OIDC sid); ending the session revokes its internal tokens. */
    sid: text('sid'),
    /** What the kind carries: a code's binding (redirect_uri, PKCE, nonce, sign-in facts), a refresh token's sign-in facts. */
    data: jsonb('data').$type<Record<string, unknown>>(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    consumedAt: integer('consumed_at'),
    revokedAt: integer('revoked_at'),
  },
  // Deleting a client or actor scans the table (rare); issuing a token must stay cheap.
  (t) => [index('tokens_grant_id').on(t.grantId).where(sql`grant_id is not null`), index('tokens_sid').on(t.sid).where(sql`sid is not null`)],
);

/** Public halves of the signing keys; the active private keys live in the private key file. */
export const signingKeys = pgTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg', { enum: ['RS256', 'ES256'] }).notNull(),
  publicJwk: jsonb('public_jwk').$type<Record<string, unknown>>().notNull(),
  createdAt: integer('created_at').notNull(),
  /** Set when a rotation replaced the key; it is published until `publishUntil`. */
  retiredAt: integer('retired_at'),
  publishUntil: integer('publish_until'),
});

/** Browsers and machines that sign in; the device cookie holds the id, signed. */
export const devices = pgTable('devices', {
  id: text('id').primaryKey(),
  userAgent: text('user_agent').notNull().default(''),
  ip: text('ip').notNull().default(''),
  createdAt: integer('created_at').notNull(),
  lastSeenAt: integer('last_seen_at').notNull(),
  /** A blocked device is denied every sign-in. */
  blockedAt: integer('blocked_at'),
});

/**
 * Signed-in sessions of an actor on a device, keyed by the SHA-256 of the session cookie.
 * `authTime` is when the actor last proved a credential (OIDC auth_time).
 */
export const sessions = pgTable(
  'sessions',
  {
    hash: text('hash').primaryKey(),
    id: text('id').notNull().unique(),
    actorId: text('actor_id').notNull().references(() => actors.id, { onDelete: 'cascade' }),
    deviceId: text('device_id').notNull().references(() => devices.id, { onDelete: 'cascade' }),
    authTime: integer('auth_time').notNull(),
    amr: jsonb('amr').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: integer('created_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    /** Absolute expiry (lifetimes.session or the longest internal token lifetime). */
    expiresAt: integer('expires_at').notNull(),
    endedAt: integer('ended_at'),
  },
  (t) => [index('sessions_actor_id').on(t.actorId)],
);

/** The newest pass of each factor by an actor on a device (one row each), remembered for the client's *_expires_in. */
export const factors = pgTable(
  'factors',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    actorId: text('actor_id').notNull().references(() => actors.id, { onDelete: 'cascade' }),
    deviceId: text('device_id').notNull().references(() => devices.id, { onDelete: 'cascade' }),
    kind: text('kind').notNull(),
    /** The client the factor was passed for (SSO to other clients is bounded separately). */
    clientId: text('client_id').notNull(),
    passedAt: integer('passed_at').notNull(),
  },
  (t) => [index('factors_actor_device').on(t.actorId, t.deviceId, t.kind)],
);

/**
 * A sign-in attempt: the authorization request being worked through the checks. Anyone can
 * start one, so it is short-lived and swept once expired; its device (the signed cookie's
 * id) gets a row only when someone signs in on it.
 */
export const attempts = pgTable('attempts', {
  id: text('id').primaryKey(),
  clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
  deviceId: text('device_id').notNull(),
  actorId: text('actor_id').references(() => actors.id, { onDelete: 'cascade' }),
  /** The validated authorization request (redirect_uri, scope, state, nonce, PKCE, prompt, ...). */
  request: jsonb('request').$type<Record<string, unknown>>().notNull(),
  /** Factors passed during this attempt, each with when: [{ factor, at }]. */
  passed: jsonb('passed').$type<Array<{ factor: string; at: number }>>().notNull().default(sql`'[]'::jsonb`),
  /** Steps completed during this attempt that are not factors (consent). */
  steps: jsonb('steps').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
  createdAt: integer('created_at').notNull(),
  expiresAt: integer('expires_at').notNull(),
  completedAt: integer('completed_at'),
}, (t) => [index('attempts_expires_at').on(t.expiresAt)]);

/** Scopes an actor allowed a client; asked again when the client asks for more. */
export const consents = pgTable(
  'consents',
  {
    actorId: text('actor_id').notNull().references(() => actors.id, { onDelete: 'cascade' }),
    clientId: text('client_id').notNull().references(() => clients.id, { onDelete: 'cascade' }),
    scopes: jsonb('scopes').$type<string[]>().notNull(),
    grantedAt: integer('granted_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.actorId, t.clientId] })],
);

/**
 * Second factors an actor set up: TOTP authenticators (`secret` sealed with AES-256-GCM,
 * src/security/sealing.ts; `lastStep` the last step used, so a code works once) and
 * WebAuthn credentials, passkeys and security keys (`credentialId`, `publicKey` as COSE
 * base64url, `counter`, the signature counter that must grow when not zero).
 */
export const authenticators = pgTable(
  'authenticators',
  {
    id: text('id').primaryKey(),
    actorId: text('actor_id').notNull().references(() => actors.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: ['totp', 'webauthn', 'phone'] }).notNull(),
    name: text('name').notNull(),
    secret: text('secret'),
    lastStep: integer('last_step'),
    credentialId: text('credential_id').unique(),
    publicKey: text('public_key'),
    counter: integer('counter').notNull().default(0),
    transports: jsonb('transports').$type<string[]>().notNull().default(sql`'[]'::jsonb`),
    createdAt: integer('created_at').notNull(),
    lastUsedAt: integer('last_used_at'),
  },
  (t) => [index('authenticators_actor_id').on(t.actorId)],
);

/** Backup codes, as keyed hashes; a new set replaces the old one. Each is used once. */
export const backupCodes = pgTable(
  'backup_codes',
  {
    actorId: text('actor_id').notNull().references(() => actors.id, { onDelete: 'cascade' }),
    hash: text('hash').notNull(),
    createdAt: integer('created_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [primaryKey({ columns: [t.actorId, t.hash] })],
);

/**
 * Login links and codes: emailed to an actor for one sign-in attempt, keyed by the SHA-256
 * of the link's token, the code as a keyed hash; each is used once, before `expiresAt`.
 */
export const loginLinks = pgTable(
  'login_links',
  {
    hash: text('hash').primaryKey(),
    attemptId: text('attempt_id').notNull().references(() => attempts.id, { onDelete: 'cascade' }),
    /** Null when the address is no one's: nothing was sent, and its code is counted like any guess. */
    actorId: text('actor_id').references(() => actors.id, { onDelete: 'cascade' }),
    /** Where it was sent (or, for no one, what was typed). */
    address: text('address').notNull(),
    /** sign-in: a login link and code; verify: a code proving the address (the verified-email check). */
    purpose: text('purpose', { enum: ['sign-in', 'verify', 'sms'] }).notNull().default('sign-in'),
    codeHash: text('code_hash').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('login_links_attempt_id').on(t.attemptId)],
);

/** WebAuthn challenges: made for one attempt and purpose, short-lived, each used once. */
export const challenges = pgTable(
  'challenges',
  {
    challenge: text('challenge').primaryKey(),
    attemptId: text('attempt_id').notNull().references(() => attempts.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ['register', 'authenticate', 'passwordless'] }).notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('challenges_attempt_id').on(t.attemptId)],
);

/**
 * The audit trail: an append-only log of what matters to security (sign-ins and failures,
 * factor changes, consent, tokens issued and revoked, every management change and who made
 * it). No foreign keys: an event outlives the actor or client it names. Never a secret.
 */
export const events = pgTable(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: integer('at').notNull(),
    type: text('type').notNull(),
    /** The actor the event is about. */
    actorId: text('actor_id'),
    clientId: text('client_id'),
    /** Who acted: `actor:<id>`, `client:<id>` or `masks`. */
    by: text('by').notNull(),
    ip: text('ip'),
    detail: jsonb('detail').$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
  },
  (t) => [index('events_at').on(t.at), index('events_actor_id').on(t.actorId, t.id), index('events_client_id').on(t.clientId, t.id)],
);

/**
 * The rate limits' failure counts (guesses, sends, client authentication), shared by every
 * node: a key's run of failures, forgotten at `expiresAt` (its last failure plus the limit's
 * window). SQLite keeps these in memory (one process).
 */
export const limitCounts = pgTable(
  'limit_counts',
  {
    name: text('name').notNull(),
    key: text('key').notNull(),
    failures: integer('failures').notNull(),
    lastFailure: integer('last_failure').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.name, t.key] }), index('limit_counts_expires_at').on(t.expiresAt)],
);
