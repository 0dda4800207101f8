/**
 * The one configuration schema. Every key carries its default and a one-line description;
 * masks.example.yml is checked against this file by a test, so the two cannot drift.
 */
import { FormatRegistry, Type, type SchemaOptions, type Static, type StaticDecode, type TLiteral, type TOptional, type TSchema, type TUnion } from '@sinclair/typebox';
import { formatDuration, isDuration, MAX_DURATION, parseDuration } from './durations.js';

FormatRegistry.Set('duration', (value) => isDuration(value));

/** A duration such as "10 minutes"; decoded to seconds. */
function Duration(def: string, description: string, withDefault = true) {
  return Type.Transform(Type.Union([Type.String({ format: 'duration' }), Type.Integer({ minimum: 0, maximum: MAX_DURATION })], withDefault ? { default: def, description } : { description }))
    .Decode((value) => parseDuration(value))
    .Encode((seconds) => formatDuration(seconds));
}

/** A duration that may be left blank (null). */
function OptionalDuration(description: string) {
  return Type.Transform(Type.Union([Type.Null(), Type.Literal(''), Type.String({ format: 'duration' }), Type.Integer({ minimum: 0, maximum: MAX_DURATION })], { default: null, description }))
    .Decode((value) => (value === null || value === '' ? null : parseDuration(value)))
    .Encode((seconds) => (seconds === null ? null : formatDuration(seconds)));
}

/** One of a fixed list of strings (keeps the literal types). */
function OneOf<const T extends readonly string[]>(values: T, options: SchemaOptions = {}) {
  return Type.Union(values.map((value) => Type.Literal(value)) as unknown as { -readonly [K in keyof T]: TLiteral<T[K]> }, options) as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;
}

const Str = (def: string, description: string) => Type.String({ default: def, description });
const Bool = (def: boolean, description: string) => Type.Boolean({ default: def, description });
const Int = (def: number, description: string, min = 0) => Type.Integer({ default: def, description, minimum: min });
const Section = <T extends Record<string, TSchema>>(properties: T, description: string) =>
  Type.Object(properties, { default: {}, description, additionalProperties: false });

/** Names of the checks a sign-in runs, in the order they may appear. */
export const CHECK_NAMES = ['device', 'credentials', 'second-factor', 'client-consent', 'onboarded', 'verified-email'] as const;
export type CheckName = (typeof CHECK_NAMES)[number];
const CheckName = OneOf(CHECK_NAMES);

export const CLIENT_TYPES = ['internal', 'confidential', 'public'] as const;
export const SUBJECT_TYPES = ['pairwise-uuid', 'public-uuid', 'public-identifier'] as const;
export const SIGNING_ALGS = ['RS256', 'ES256'] as const;
export const ACCESS_TOKEN_FORMATS = ['opaque', 'jwt'] as const;

const Scope = Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$' });

/**
 * Client settings. `withDefaults` builds the `clients` section (every key with its default);
 * without, the same keys are all optional overrides for one client (seeds, management API).
 */
function clientSettingsProperties(withDefaults: boolean) {
  const d = <T>(value: T) => (withDefaults ? { default: value } : {});
  const dur = (def: string, description: string) => Duration(def, description, withDefaults);
  return {
    checks: Type.Array(CheckName, { ...d(['device', 'credentials']), uniqueItems: true, description: 'The checks a sign-in to this client runs, in the installation order' }),
    scopes: Type.Object(
      {
        required: Type.Array(Scope, { ...d([]), description: 'Scopes an actor must hold to use the client' }),
        allowed: Type.Array(Scope, { ...d([]), description: 'Scopes the client may request' }),
      },
      { ...d({}), additionalProperties: false, description: 'Scopes of the client' },
    ),
    client_type: OneOf(CLIENT_TYPES, { ...d('internal'), description: 'internal (cookie), confidential (code + secret) or public (code + PKCE)' }),
    subject_type: OneOf(SUBJECT_TYPES, { ...d('pairwise-uuid'), description: 'How the sub claim is made: pairwise-uuid, public-uuid or public-identifier' }),
    sector_identifier: Type.String({ ...d(''), description: 'Sector for pairwise subjects (blank: the host of the redirect URIs)' }),
    allow_passwords: Type.Boolean({ ...d(true), description: 'Whether actors may sign in with a password' }),
    allow_login_links: Type.Boolean({ ...d(true), description: 'Whether actors may sign in with a login link or code sent by email' }),
    autofill_redirect_uri: Type.Boolean({ ...d(false), description: 'Register the first redirect_uri used (opt-in)' }),
    fuzzy_redirect_uri: Type.Boolean({ ...d(false), description: 'Match redirect URIs with wildcards (opt-in)' }),
    bg_light: Type.String({ ...d(''), description: 'Page background in light mode (CSS colour)' }),
    bg_dark: Type.String({ ...d(''), description: 'Page background in dark mode (CSS colour)' }),
    logo_uri: Type.String({ ...d(''), maxLength: 2000, description: 'Logo shown on the sign-in pages: an https URL (or http on localhost)' }),
    id_token_expires_in: dur('6 hours', 'Lifetime of ID tokens'),
    access_token_expires_in: dur('6 hours', 'Lifetime of access tokens'),
    authorization_code_expires_in: dur('10 minutes', 'Lifetime of authorization codes'),
    internal_token_expires_in: dur('1 day', 'Lifetime of the session cookie of internal clients'),
    login_link_expires_in: dur('10 minutes', 'Lifetime of a login link and its code'),
    auth_attempt_expires_in: dur('1 hour', 'How long a sign-in attempt may take'),
    login_link_factor_expires_in: dur('12 hours', 'How long a used login link counts as a passed factor on a device'),
    sso_factor_expires_in: dur('3 hours', 'How long a session may sign in to another client without the form'),
    refresh_token_expires_in: dur('1 month', 'Absolute lifetime of a refresh token grant'),
    password_factor_expires_in: dur('1 day', 'How long a passed password counts on a device'),
    second_factor_backup_code_expires_in: dur('1 hour', 'How long a used backup code counts as a passed factor on a device'),
    second_factor_phone_expires_in: dur('10 minutes', 'How long a passed SMS code counts as a factor on a device'),
    second_factor_totp_code_expires_in: dur('10 minutes', 'How long a passed TOTP code counts as a factor on a device'),
    second_factor_webauthn_expires_in: dur('10 minutes', 'How long a passed passkey or security key counts as a factor on a device'),
    email_verification_expires_in: dur('1 year', 'How long a verified email address counts (the verified-email check)'),
    access_token_format: OneOf(ACCESS_TOKEN_FORMATS, { ...d('opaque'), description: 'opaque access tokens, or JWT access tokens (RFC 9068)' }),
    signing_alg: OneOf(SIGNING_ALGS, { ...d('RS256'), description: 'Signature algorithm of ID tokens and JWT access tokens' }),
  };
}

export const ClientSettingsSchema = Type.Object(clientSettingsProperties(true), {
  default: {},
  additionalProperties: false,
  description: 'Defaults every client inherits and may override',
});
export type ClientSettings = StaticDecode<typeof ClientSettingsSchema>;

function optional<T extends Record<string, TSchema>>(properties: T): { [K in keyof T]: TOptional<T[K]> } {
  return Object.fromEntries(Object.entries(properties).map(([key, schema]) => [key, Type.Optional(schema)])) as { [K in keyof T]: TOptional<T[K]> };
}

const { scopes: scopeOverrides, ...settingOverrides } = clientSettingsProperties(false);
const overrideProperties = {
  ...optional(settingOverrides),
  scopes: Type.Optional(Type.Object(optional(scopeOverrides.properties), { additionalProperties: false })),
};
/** Per-client overrides of the client defaults: every key optional. */
export const ClientOverridesSchema = Type.Object(overrideProperties, { additionalProperties: false });
export type ClientOverrides = StaticDecode<typeof ClientOverridesSchema>;
/** A client's effective settings: the `clients.*` defaults with its overrides applied. */
export function effectiveSettings(defaults: ClientSettings, overrides: ClientOverrides): ClientSettings {
  return { ...defaults, ...overrides, scopes: { ...defaults.scopes, ...overrides.scopes } } as ClientSettings;
}

/** Keys that may be overridden per client. */
export const CLIENT_SETTING_KEYS = Object.keys(overrideProperties) as Array<keyof ClientSettings>;

const ClientId = Type.String({ minLength: 1, maxLength: 255, pattern: '^[A-Za-z0-9._~-]+$' });
const Uris = Type.Array(Type.String({ minLength: 1, maxLength: 2000 }));

export const SeedClientSchema = Type.Object(
  {
    id: ClientId,
    name: Type.Optional(Type.String({ maxLength: 255 })),
    secret: Type.Optional(Type.String({ minLength: 32, maxLength: 512 })),
    redirect_uris: Type.Optional(Uris),
    post_logout_redirect_uris: Type.Optional(Uris),
    ...overrideProperties,
  },
  { additionalProperties: false },
);
export type SeedClient = StaticDecode<typeof SeedClientSchema>;

export const SeedActorSchema = Type.Object(
  {
    nickname: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })),
    // Measured by the one password rule (src/accounts/passwords.ts) when the actor is created.
    password: Type.Optional(Type.String()),
    scopes: Type.Optional(Type.Array(Scope)),
  },
  { additionalProperties: false },
);
export type SeedActor = Static<typeof SeedActorSchema>;

export const ConfigSchema = Type.Object(
  {
    url: Str('http://localhost:5000', 'Public URL of masks; the issuer, exactly'),
    name: Str('masks', 'Installation name shown on pages'),
    port: Int(5000, 'Listen port', 0),
    host: Str('0.0.0.0', 'Listen address'),
    data: Str('./data', 'Data folder (database, keys)'),
    db_url: Str('', 'Database URL: a file path or file: URL for SQLite (blank: <data>/masks.sqlite3), or postgres://user:password@host:5432/database[?schema=name&pool_size=10] for PostgreSQL'),
    private_key: Str('', 'Installation private key file (blank: <data>/private.key)'),
    skip_migrations: Bool(false, 'Do not apply database migrations at boot'),
    log_level: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'Log level' }),
    trust_proxy: Type.Array(Type.String(), { default: [], description: 'Addresses or CIDRs of reverse proxies whose X-Forwarded-For is trusted' }),
    cookie_domain: Str('', 'Domain of the session cookie for internal clients (blank: host-only)'),
    checks: Type.Array(CheckName, {
      default: [...CHECK_NAMES],
      uniqueItems: true,
      description: 'The installation check order: device, credentials, second-factor, client-consent, onboarded, verified-email',
    }),
    lifetimes: Section(
      {
        session: OptionalDuration('Session lifetime (blank: until the browser closes)'),
        session_idle: Duration('1 day', 'A session unused this long is over'),
        device: Duration('400 days', 'Lifetime of the device cookie'),
      },
      'Lifetimes of sessions and devices',
    ),
    nicknames: Section({ enabled: Bool(true, 'Actors may have and sign in with a nickname') }, 'Nicknames'),
    emails: Section(
      {
        enabled: Bool(true, 'Actors may have and sign in with an email address'),
        max_for_login: Int(5, 'Most email addresses an actor may sign in with', 1),
        from: Str('', 'From address of emails masks sends (blank: the installation name at the host of url)'),
      },
      'Email addresses',
    ),
    passwords: Section(
      {
        min_chars: Int(8, 'Shortest password', 1),
        max_chars: Int(100, 'Longest password', 1),
      },
      'Passwords',
    ),
    passkeys: Section({ enabled: Bool(true, 'People may sign in with a passkey alone (discoverable credentials with user verification): "Use a passkey" on the sign-in page') }, 'Passkeys'),
    login_links: Section({ enabled: Bool(true, 'People may sign in with a link or code sent to their email address') }, 'Login links'),
    totp_codes: Section({ enabled: Bool(true, 'Authenticator apps (TOTP codes) may be set up and used as a second factor') }, 'TOTP codes'),
    phones: Section({ enabled: Bool(true, 'Phones (codes by SMS) may be set up and used as a second factor') }, 'Phones'),
    webauthn: Section(
      {
        enabled: Bool(true, 'Passkeys and security keys (WebAuthn) may be set up and used as a second factor'),
        rp_name: Str('', 'WebAuthn relying party name shown by browsers (blank: the installation name)'),
      },
      'WebAuthn',
    ),
    backup_codes: Section({ total: Int(10, 'Backup codes in a set (shown once when the first second factor is set up)', 1) }, 'Backup codes'),
    theme: Section(
      {
        bg_light: Str('', 'Page background in light mode (CSS colour)'),
        bg_dark: Str('', 'Page background in dark mode (CSS colour)'),
      },
      'Look of the pages',
    ),
    integration: Section(
      {
        email: Type.Union([Type.Literal('smtp'), Type.Literal('log')], { default: 'log', description: 'How emails are sent: smtp, or log (one .eml file each under <data>/outbox/, noted in the log)' }),
        smtp: Section(
          {
            host: Str('', 'SMTP server host'),
            port: Int(587, 'SMTP server port', 1),
            secure: Bool(false, 'Use TLS from the start (port 465)'),
            user: Str('', 'SMTP user name'),
            password: Str('', 'SMTP password'),
          },
          'SMTP settings (integration.email: smtp)',
        ),
        phone: Type.Union([Type.Literal('twilio'), Type.Literal('log')], { default: 'log', description: 'How SMS are sent: twilio (its Messages API), or log (one .txt file each under <data>/outbox/, noted in the log)' }),
        twilio: Section(
          {
            account_sid: Str('', 'Twilio account SID'),
            auth_token: Str('', 'Twilio auth token'),
            from: Str('', 'Twilio sender number (E.164) or messaging service SID'),
            api_url: Str('https://api.twilio.com', 'Twilio API base URL (a proxy, or a test server)'),
          },
          'Twilio settings (integration.phone: twilio)',
        ),
      },
      'Outgoing email and SMS',
    ),
    manager: Section(
      {
        nickname: Str('manager', 'Nickname of the first manager, created at first boot'),
        password: Str('', 'Password of the first manager (blank: generated and printed once)'),
        email: Str('', 'Email address of the first manager'),
      },
      'The first manager',
    ),
    metrics: Section(
      {
        enabled: Bool(false, 'Serve Prometheus metrics on a listener of their own'),
        host: Str('127.0.0.1', 'Address of the metrics listener'),
        port: Int(9464, 'Port of the metrics listener', 0),
      },
      'Prometheus metrics',
    ),
    events: Section({ retention: Duration('90 days', 'How long audit events are kept') }, 'The audit trail'),
    clients: ClientSettingsSchema,
    seeds: Section(
      {
        clients: Type.Array(SeedClientSchema, { default: [], description: 'Clients declared by this file; each boot makes them match it' }),
        actors: Type.Array(SeedActorSchema, { default: [], description: 'Actors created when missing, never overwritten' }),
      },
      'Clients and actors as code',
    ),
  },
  { additionalProperties: false },
);

/** The resolved configuration: durations in seconds, paths filled in. */
export type Config = StaticDecode<typeof ConfigSchema>;

/** Configuration keys whose values are secrets, redacted by `masks config`. */
export const SECRET_KEYS = ['manager.password', 'integration.smtp.password', 'integration.twilio.auth_token', 'seeds.clients.*.secret', 'seeds.actors.*.password'];
