/**
 * The management API's shapes, in typebox: bodies are the seed schemas of masks.yml (one
 * schema for seeds, the CLI and the API), views are what GET returns. The OpenAPI document
 * (openapi.ts) is generated from these same objects.
 */
import { FormatRegistry, Type, type TSchema } from '@sinclair/typebox';
import { ClientSettingsSchema, SeedActorSchema, SeedClientSchema } from '../config/schema.js';

// RFC 3339 date-time, as OpenAPI means it.
FormatRegistry.Set('date-time', (value) => /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.test(value) && !Number.isNaN(Date.parse(value)));

const Time = Type.String({ format: 'date-time', description: 'ISO 8601' });
const NullableTime = Type.Union([Time, Type.Null()]);
const NullableString = (options = {}) => Type.Union([Type.String(options), Type.Null()]);

export const ClientBody = SeedClientSchema;

export const ClientView = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    redirect_uris: Type.Array(Type.String()),
    post_logout_redirect_uris: Type.Array(Type.String()),
    overrides: Type.Object({}, { additionalProperties: true, description: 'The clients.* keys this client sets itself (durations as written in masks.yml)' }),
    settings: Type.Object({}, { additionalProperties: true, description: 'Effective settings: the clients.* defaults with the overrides applied' }),
    client_type: Type.String(),
    has_secret: Type.Boolean(),
    previous_secret_expires_at: NullableTime,
    seeded: Type.Boolean(),
    read_only: Type.Union([Type.String(), Type.Null()], { description: 'Why it cannot be changed here (declared in masks.yml, or masks own); null when it can' }),
    created_at: Time,
    updated_at: Time,
  },
  { additionalProperties: false },
);

export const ClientList = Type.Object({ clients: Type.Array(ClientView) });
export const ClientPatchBody = Type.Object({}, { additionalProperties: true, description: 'A JSON merge patch (RFC 7396) of the client as masks.yml declares it; null returns a key to its default' });
export const ClientCreated = Type.Object({ client: ClientView, secret: Type.Optional(Type.String({ description: 'The generated secret, shown this once' })) });
export const SecretRotation = Type.Object(
  { overlap: Type.Optional(Type.String({ format: 'duration', description: 'How long the old secret keeps working, e.g. "1 day" (default: not at all; at most 90 days)' })) },
  { additionalProperties: false },
);
export const SecretRotated = Type.Object({ client: ClientView, secret: Type.String({ description: 'The new secret, shown this once' }) });

export const ActorBody = Type.Object(
  {
    ...SeedActorSchema.properties,
    name: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

export const ActorPatch = Type.Object(
  {
    nickname: Type.Optional(NullableString({ minLength: 1, maxLength: 64 })),
    email: Type.Optional(NullableString({ minLength: 3, maxLength: 320 })),
    name: Type.Optional(NullableString({ maxLength: 200 })),
    scopes: Type.Optional(SeedActorSchema.properties.scopes),
    disabled: Type.Optional(Type.Boolean({ description: 'true disables the actor and signs them out everywhere at once' })),
  },
  { additionalProperties: false },
);

const Authenticator = Type.Object({ id: Type.String(), kind: Type.String(), name: Type.String(), created_at: Time, last_used_at: NullableTime });

export const ActorView = Type.Object(
  {
    id: Type.String(),
    nickname: NullableString(),
    email: NullableString(),
    emails: Type.Array(Type.Object({ address: Type.String(), verified_at: NullableTime })),
    name: NullableString(),
    scopes: Type.Array(Type.String()),
    disabled: Type.Boolean(),
    disabled_at: NullableTime,
    onboarded_at: NullableTime,
    has_password: Type.Boolean(),
    second_factors: Type.Array(Authenticator),
    backup_codes_left: Type.Integer(),
    created_at: Time,
    updated_at: Time,
  },
  { additionalProperties: false },
);

export const ActorList = Type.Object({ actors: Type.Array(ActorView), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() });
export const ActorQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Part of a nickname, email address or name' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
  },
  { additionalProperties: false },
);

export const AccountLinkBody = Type.Object(
  {
    purpose: Type.Optional(Type.Union([Type.Literal('reset'), Type.Literal('invite')], { description: 'reset (default): choose a new password; invite: set up a new account' })),
    expires_in: Type.Optional(Type.String({ format: 'duration', description: 'How long the link works (default: 1 day for a reset, 7 days for an invitation; at most 30 days)' })),
  },
  { additionalProperties: false },
);
export const AccountLinkSent = Type.Object({ sent_to: Type.String(), expires_at: Time });

export const SessionView = Type.Object({
  id: Type.String(),
  device_id: Type.String(),
  user_agent: Type.String(),
  ip: Type.String(),
  amr: Type.Array(Type.String()),
  auth_time: Time,
  created_at: Time,
  last_seen_at: Time,
  expires_at: Time,
});
export const SessionList = Type.Object({ sessions: Type.Array(SessionView) });

export const EventView = Type.Object({
  id: Type.Integer(),
  type: Type.String(),
  at: Time,
  actor_id: NullableString(),
  client_id: NullableString(),
  by: Type.String({ description: 'Who acted: actor:<id>, client:<id> or masks' }),
  ip: NullableString(),
  detail: Type.Object({}, { additionalProperties: true }),
});
export const EventList = Type.Object({ events: Type.Array(EventView), next_before: Type.Union([Type.Integer(), Type.Null()], { description: 'Pass as `before` for the next page' }) });
export const EventQuery = Type.Object(
  {
    actor: Type.Optional(Type.String({ maxLength: 64 })),
    client: Type.Optional(Type.String({ maxLength: 255 })),
    type: Type.Optional(Type.String({ maxLength: 64, description: 'A type, or a family such as client.*' })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    before: Type.Optional(Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  },
  { additionalProperties: false },
);

export const ProblemView = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
});

export { ClientSettingsSchema };
export type Schema = TSchema;
