/**
 * Clients, actors, tokens, factors, signing keys, settings and events in PostgreSQL. Reads go
 * to the pool; every write is a command (commands.ts). Several nodes share the database, so
 * what one changes another must see at once: nothing whose staleness would be a hole is
 * cached (a revocation, a rotated secret or a deleted client holds on every node at the next
 * request); the JWKS is rebuilt when another node announces a rotation (LISTEN/NOTIFY).
 */
import { randomUUID } from 'node:crypto';
import { and, asc, count, desc, eq, gt, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { ClientSettings } from '../../config/schema.js';
import { LastHolderError, StaleError } from '../../errors.js';
import type { Actor, ActorChange, AuditEvent, Authenticator, Client, ClientRecord, NewActor, NewAuthenticator, NewEvent, NewToken, SigningKeyRecord, TokenKind, TokenRecord } from '../../model.js';
import { sha256 } from '../../security/secrets.js';
import { normaliseIdentifier } from '../normalise.js';
import { actorOf, clientOf, tokenRecordOf, type ActorRow } from '../rows.js';
import type { ActorGuard, ActorQuery, ActorStore, ClientStore, EventQuery, EventStore, Exchange, ExchangeResult, FactorStore, SettingStore, SigningKeyStore, TokenStore } from '../store.js';
import { actorSearch, eventConditions } from '../conditions.js';
import type { Commands } from './commands.js';
import type { PgDatabase } from './db.js';
import { actors, authenticators, backupCodes, clients, emails, events, settings, signingKeys, tokens } from './schema.js';

/**
 * Clients are read afresh each time: a secret rotated or a client deleted on one node must be
 * refused by every node at once, and a cache cleared by a notice would still answer with the
 * old client until the notice arrived.
 */
export class PgClients implements ClientStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
    private readonly defaults: ClientSettings,
    private readonly clock: () => number,
  ) {}

  async find(id: string): Promise<Client | undefined> {
    const [row] = await this.db.orm.select().from(clients).where(eq(clients.id, id));
    return row ? clientOf(row, this.defaults) : undefined;
  }

  async list(): Promise<Client[]> {
    return (await this.db.orm.select().from(clients).orderBy(asc(clients.id))).map((row) => clientOf(row, this.defaults));
  }

  async save(record: ClientRecord, expectRevision?: number): Promise<Client> {
    const outcome = await this.write.saveClient({ record, now: this.clock(), expectRevision });
    if (outcome !== 'ok') throw new StaleError();
    return (await this.find(record.id))!;
  }

  delete(id: string): Promise<boolean> {
    return this.write.deleteClient(id);
  }
}

export class PgActors implements ActorStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
    private readonly clock: () => number,
  ) {}

  private async load(row: ActorRow | undefined): Promise<Actor | undefined> {
    if (!row) return undefined;
    return actorOf(row, await this.db.orm.select().from(emails).where(eq(emails.actorId, row.id)).orderBy(asc(emails.id)));
  }

  async find(id: string): Promise<Actor | undefined> {
    const [row] = await this.db.orm.select().from(actors).where(eq(actors.id, id));
    return this.load(row);
  }

  async findByIdentifier(identifier: string): Promise<Actor | undefined> {
    const key = normaliseIdentifier(identifier);
    const [byNickname] = await this.db.orm.select().from(actors).where(eq(actors.nickname, key));
    if (byNickname) return this.load(byNickname);
    const [email] = await this.db.orm.select({ actorId: emails.actorId }).from(emails).where(eq(emails.address, key));
    return email ? this.find(email.actorId) : undefined;
  }

  async list(): Promise<Actor[]> {
    const rows = await this.db.orm.select().from(actors).orderBy(asc(actors.createdAt), asc(actors.nickname));
    return Promise.all(rows.map(async (row) => (await this.load(row))!));
  }

  async search(query: ActorQuery): Promise<{ actors: Actor[]; total: number }> {
    const where = actorSearch(query.text, actors, emails);
    const [{ total }] = (await this.db.orm.select({ total: count() }).from(actors).where(where)) as [{ total: number }];
    const rows = await this.db.orm.select().from(actors).where(where).orderBy(asc(actors.createdAt), asc(actors.id)).limit(query.limit).offset(query.offset);
    return { actors: await Promise.all(rows.map(async (row) => (await this.load(row))!)), total };
  }

  /** Actors holding `scope` (jsonb containment). */
  private holding(scope: string): SQL {
    return sql`${actors.scopes} @> jsonb_build_array(${scope}::text)`;
  }

  async hasScope(scope: string): Promise<boolean> {
    return (await this.db.orm.select({ id: actors.id }).from(actors).where(this.holding(scope)).limit(1)).length > 0;
  }

  async countWithScope(scope: string): Promise<number> {
    const [{ n }] = (await this.db.orm.select({ n: count() }).from(actors).where(and(this.holding(scope), isNull(actors.disabledAt)))) as [{ n: number }];
    return n;
  }

  async create(input: NewActor): Promise<Actor> {
    const id = randomUUID();
    await this.write.createActor({
      id,
      publicUuid: randomUUID(),
      nickname: input.nickname ? normaliseIdentifier(input.nickname) : null,
      name: input.name ?? null,
      passwordHash: input.passwordHash ?? null,
      scopes: input.scopes ?? [],
      email: input.email ? normaliseIdentifier(input.email) : null,
      emailVerified: input.emailVerified ?? false,
      now: this.clock(),
    });
    return (await this.find(id))!;
  }

  async update(id: string, change: ActorChange, now: number, guard: ActorGuard = {}): Promise<Actor | undefined> {
    const outcome = await this.write.updateActor({ id, change, now, ...guard });
    if (outcome === 'missing') return undefined;
    if (outcome === 'stale') throw new StaleError();
    if (outcome === 'last') throw new LastHolderError(guard.keepScope!);
    return this.find(id);
  }

  async delete(id: string, guard: Pick<ActorGuard, 'keepScope'> = {}): Promise<boolean> {
    const outcome = await this.write.deleteActor({ id, ...guard });
    if (outcome === 'last') throw new LastHolderError(guard.keepScope!);
    return outcome;
  }

  async setPassword(id: string, passwordHash: string, now: number, keepSession = ''): Promise<void> {
    await this.write.setPassword({ actorId: id, hash: passwordHash, now, keep: keepSession });
  }
}

export class PgTokens implements TokenStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
  ) {}

  async findByHash(hash: string): Promise<TokenRecord | undefined> {
    const [row] = await this.db.orm.select().from(tokens).where(eq(tokens.hash, hash));
    return row ? tokenRecordOf(row) : undefined;
  }

  async live(value: string, kinds: readonly TokenKind[], now: number): Promise<TokenRecord | undefined> {
    const record = await this.findByHash(sha256(value));
    if (!record || !kinds.includes(record.kind) || record.revokedAt !== null || record.consumedAt !== null || record.expiresAt <= now) return undefined;
    return record;
  }

  async insert(token: NewToken): Promise<void> {
    await this.write.insertToken(token);
  }

  async revoke(hash: string, now: number): Promise<void> {
    await this.write.revokeToken({ hash, now });
  }

  async revokeGrant(grantId: string, now: number): Promise<void> {
    await this.write.revokeGrant({ grantId, now });
  }

  redeemCode(exchange: Exchange): Promise<ExchangeResult> {
    return this.write.exchange('authorization_code', exchange);
  }

  rotateRefreshToken(exchange: Exchange): Promise<ExchangeResult> {
    return this.write.exchange('refresh_token', exchange);
  }
}

export class PgFactors implements FactorStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
  ) {}

  async authenticators(actorId: string): Promise<Authenticator[]> {
    return this.db.orm.select().from(authenticators).where(eq(authenticators.actorId, actorId)).orderBy(asc(authenticators.createdAt), asc(authenticators.id));
  }

  async byCredentialId(credentialId: string): Promise<Authenticator | undefined> {
    return (await this.db.orm.select().from(authenticators).where(eq(authenticators.credentialId, credentialId)))[0];
  }

  async backupCodesLeft(actorId: string): Promise<number> {
    return (await this.db.orm.select({ left: count() }).from(backupCodes).where(and(eq(backupCodes.actorId, actorId), isNull(backupCodes.usedAt))))[0]?.left ?? 0;
  }

  removeAuthenticator(actorId: string, id: string): Promise<boolean> {
    return this.write.removeAuthenticator({ actorId, id });
  }

  add(authenticator: NewAuthenticator, extra: { backupCodes?: string[] | undefined; lastStep?: number | undefined }, now: number): Promise<boolean> {
    return this.write.addAuthenticator({ authenticator, ...extra, now });
  }

  async replaceBackupCodes(actorId: string, hashes: string[], now: number): Promise<void> {
    await this.write.replaceBackupCodes({ actorId, hashes, now });
  }
}

export class PgSigningKeys implements SigningKeyStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
  ) {}

  async published(now: number): Promise<SigningKeyRecord[]> {
    const rows = await this.db.orm
      .select()
      .from(signingKeys)
      .where(or(isNull(signingKeys.retiredAt), gt(signingKeys.publishUntil, now)));
    return rows.sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid));
  }

  async activate(keys: Array<Pick<SigningKeyRecord, 'kid' | 'alg' | 'publicJwk'>>, now: number, publishUntil: number): Promise<void> {
    await this.write.activateKeys({ keys, now, publishUntil });
  }

  /** A rotation on any node (announced on commit) reaches every node's JWKS. */
  watch(listener: () => void): void {
    this.db.watch((change) => change === 'signing_keys' && listener());
  }
}

export class PgSettings implements SettingStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
  ) {}

  async get<T>(key: string): Promise<T | undefined> {
    return (await this.db.orm.select().from(settings).where(eq(settings.key, key)))[0]?.value as T | undefined;
  }

  async set(key: string, value: unknown, now: number): Promise<void> {
    await this.write.setSetting({ key, value, now });
  }
}

export class PgEvents implements EventStore {
  /**
   * The last append: events are recorded without waiting, one after another (so their ids
   * follow the order they happened in), and a read sees what was appended before it.
   */
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
  ) {}

  async append(event: NewEvent): Promise<void> {
    const appended = this.last.then(() => this.write.appendEvent(event));
    this.last = appended.catch(() => {});
    await appended;
  }

  async list(query: EventQuery): Promise<AuditEvent[]> {
    await this.last;
    return this.db.orm
      .select()
      .from(events)
      .where(eventConditions(query, events))
      .orderBy(desc(events.id))
      .limit(query.limit);
  }
}
