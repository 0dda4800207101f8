/**
 * Rows as domain records and back, the same for every database: the SQLite and PostgreSQL
 * schemas have the same columns (as camelCase fields through drizzle), so one mapping serves both.
 */
import { effectiveSettings, type ClientOverrides, type ClientSettings } from '../config/schema.js';
import type { Actor, Attempt, AttemptStep, Client, CodeBinding, NewToken, PortableActor, PortableClient, SignInFacts, TokenKind, TokenRecord } from '../model.js';
import type { PassedFactor } from '../signin/factors.js';

/** A token as its row: the kind's own fields (a code's binding, a refresh token's facts) go to `data`, as JSON text. */
export function tokenRow(token: NewToken) {
  const data = token.kind === 'authorization_code' ? token.binding : token.kind === 'refresh_token' || token.kind === 'access_token' ? (token.facts ?? null) : null;
  return {
    id: token.id,
    kind: token.kind,
    hash: token.hash,
    clientId: token.clientId,
    actorId: token.actorId,
    grantId: token.grantId,
    grantType: token.grantType,
    scope: token.scope,
    format: token.format,
    sub: token.sub,
    sid: token.sid,
    data: data === null ? null : JSON.stringify(data),
    createdAt: token.createdAt,
    expiresAt: token.expiresAt,
  };
}

export interface TokenRow {
  hash: string;
  id: string;
  kind: TokenKind;
  clientId: string;
  actorId: string | null;
  grantId: string | null;
  grantType: string;
  scope: string;
  format: 'opaque' | 'jwt';
  sub: string | null;
  sid: string | null;
  data: Record<string, unknown> | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  revokedAt: number | null;
}

/** A row as the domain's token, by kind. */
export function tokenRecordOf(row: TokenRow): TokenRecord {
  const common = {
    id: row.id,
    hash: row.hash,
    clientId: row.clientId,
    actorId: row.actorId,
    grantId: row.grantId,
    grantType: row.grantType,
    scope: row.scope,
    format: row.format,
    sub: row.sub,
    sid: row.sid,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    consumedAt: row.consumedAt,
    revokedAt: row.revokedAt,
  };
  switch (row.kind) {
    case 'authorization_code':
      return { ...common, kind: row.kind, binding: row.data as unknown as CodeBinding };
    case 'refresh_token':
      return { ...common, kind: row.kind, facts: row.data as unknown as SignInFacts };
    case 'access_token':
      return { ...common, kind: row.kind, ...(row.data ? { facts: row.data as unknown as SignInFacts } : {}) };
    default:
      return { ...common, kind: row.kind };
  }
}

export interface ClientRow {
  id: string;
  name: string;
  secretHash: string | null;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  settings: Record<string, unknown>;
  seeded: boolean;
  previousSecretHash: string | null;
  previousSecretExpiresAt: number | null;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

/** A stored client: its overrides merged over the `clients.*` defaults. */
export function clientOf(row: ClientRow, defaults: ClientSettings): Client {
  const overrides = row.settings as ClientOverrides;
  const settings = effectiveSettings(defaults, overrides);
  return {
    id: row.id,
    name: row.name,
    type: settings.client_type,
    secretHash: row.secretHash,
    redirectUris: row.redirectUris,
    postLogoutRedirectUris: row.postLogoutRedirectUris,
    overrides,
    settings,
    seeded: row.seeded,
    previousSecretHash: row.previousSecretHash,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
    revision: row.revision,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export interface ActorRow {
  id: string;
  nickname: string | null;
  publicUuid: string;
  name: string | null;
  passwordHash: string | null;
  onboardedAt: number | null;
  scopes: string[];
  disabledAt: number | null;
  revision: number;
  createdAt: number;
  updatedAt: number;
}

export function actorOf(row: ActorRow, emails: Array<{ address: string; verifiedAt: number | null }>): Actor {
  return {
    id: row.id,
    nickname: row.nickname,
    publicUuid: row.publicUuid,
    name: row.name,
    passwordHash: row.passwordHash,
    onboardedAt: row.onboardedAt,
    scopes: row.scopes,
    emails: emails.map((e) => ({ address: e.address, verifiedAt: e.verifiedAt })),
    disabledAt: row.disabledAt,
    revision: row.revision,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function attemptOf(row: Omit<Attempt, 'request' | 'passed' | 'steps'> & { request: unknown; passed: unknown; steps: unknown }): Attempt {
  return { ...row, request: row.request as Attempt['request'], passed: row.passed as PassedFactor[], steps: row.steps as AttemptStep[] };
}

/** A LIKE pattern matching `text` anywhere, its wildcards escaped (with `\`): the text is matched as typed. */
export const containsPattern = (text: string): string => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Rows grouped by the actor they belong to, without that column. */
export function byActor<T extends { actorId: string }>(rows: T[]): Map<string, Array<Omit<T, 'actorId'>>> {
  const groups = new Map<string, Array<Omit<T, 'actorId'>>>();
  for (const { actorId, ...rest } of rows) groups.set(actorId, [...(groups.get(actorId) ?? []), rest]);
  return groups;
}

/** A client row as `masks export` carries it. */
export function portableClientOf(row: ClientRow): PortableClient {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secretHash,
    redirectUris: row.redirectUris,
    postLogoutRedirectUris: row.postLogoutRedirectUris,
    overrides: row.settings,
    seeded: row.seeded,
    previousSecretHash: row.previousSecretHash,
    previousSecretExpiresAt: row.previousSecretExpiresAt,
    createdAt: row.createdAt,
  };
}

/** An actor row with what is theirs (grouped by byActor), as `masks export` carries it. */
export function portableActorOf(
  row: ActorRow & { passwordChangedAt: number | null },
  theirs: { [K in 'emails' | 'authenticators' | 'backupCodes' | 'consents']: Map<string, PortableActor[K]> },
): PortableActor {
  return {
    id: row.id,
    publicUuid: row.publicUuid,
    nickname: row.nickname,
    name: row.name,
    passwordHash: row.passwordHash,
    passwordChangedAt: row.passwordChangedAt,
    onboardedAt: row.onboardedAt,
    scopes: row.scopes,
    disabledAt: row.disabledAt,
    createdAt: row.createdAt,
    emails: theirs.emails.get(row.id) ?? [],
    authenticators: theirs.authenticators.get(row.id) ?? [],
    backupCodes: theirs.backupCodes.get(row.id) ?? [],
    consents: theirs.consents.get(row.id) ?? [],
  };
}
