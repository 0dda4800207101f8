/** Devices, sign-in attempts, sessions, remembered factors and consents in SQLite. */
import { and, asc, desc, eq, gt, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import type { Attempt, Challenge, Consent, Device, LoginLink, Session } from '../../model.js';
import { attemptOf } from '../rows.js';
import type { AdvanceResult, AttemptChange, SessionOnDevice, SignInStore } from '../store.js';
import type { Database } from './db.js';
import { attempts, challenges, consents, devices, factors, loginLinks, sessions } from './schema.js';

/** The newest pass of a factor of the kinds `kind` matches, by an actor on a device, after `since`. */
function lastFactorOf(db: Database, kind: SQL) {
  const p = (name: string) => sql.placeholder(name);
  return db.orm
    .select({ passedAt: factors.passedAt, clientId: factors.clientId })
    .from(factors)
    .where(and(eq(factors.actorId, p('actorId')), eq(factors.deviceId, p('deviceId')), kind, gt(factors.passedAt, p('since'))))
    .orderBy(desc(factors.passedAt))
    .limit(1)
    .prepare();
}

/** Every read of a sign-in, prepared once (building a query per call costs more than running it). */
function reads(db: Database) {
  const p = (name: string) => sql.placeholder(name);
  return {
    device: db.orm.select().from(devices).where(eq(devices.id, p('id'))).prepare(),
    attempt: db.orm.select().from(attempts).where(eq(attempts.id, p('id'))).prepare(),
    session: db.orm.select().from(sessions).where(eq(sessions.hash, p('hash'))).prepare(),
    sessionById: db.orm.select().from(sessions).where(eq(sessions.id, p('id'))).prepare(),
    actorsOnDevice: db.orm
      .selectDistinct({ actorId: sessions.actorId })
      .from(sessions)
      .where(and(eq(sessions.deviceId, p('deviceId')), isNull(sessions.endedAt), gt(sessions.expiresAt, p('now'))))
      .prepare(),
    sessionsOf: db.orm
      .select()
      .from(sessions)
      .leftJoin(devices, eq(devices.id, sessions.deviceId))
      .where(and(eq(sessions.actorId, p('actorId')), isNull(sessions.endedAt), gt(sessions.expiresAt, p('now'))))
      .orderBy(desc(sessions.createdAt), asc(sessions.id))
      .prepare(),
    consentsOf: db.orm.select({ clientId: consents.clientId, scopes: consents.scopes, grantedAt: consents.grantedAt }).from(consents).where(eq(consents.actorId, p('actorId'))).orderBy(asc(consents.clientId)).prepare(),
    lastFactor: lastFactorOf(db, eq(factors.kind, p('kind'))),
    consent: db.orm.select({ scopes: consents.scopes }).from(consents).where(and(eq(consents.actorId, p('actorId')), eq(consents.clientId, p('clientId')))).prepare(),
    loginLink: db.orm.select().from(loginLinks).where(eq(loginLinks.hash, p('hash'))).prepare(),
    challenge: db.orm.select().from(challenges).where(eq(challenges.challenge, p('challenge'))).prepare(),
    pendingLoginLink: db.orm
      .select()
      .from(loginLinks)
      .where(and(eq(loginLinks.attemptId, p('attemptId')), eq(loginLinks.purpose, p('purpose')), isNull(loginLinks.usedAt)))
      .orderBy(desc(loginLinks.createdAt))
      .limit(1)
      .prepare(),
  };
}

export class SqliteSignIns implements SignInStore {
  private readonly reads;
  private readonly amongKinds = new Map<string, ReturnType<typeof lastFactorOf>>();

  constructor(private readonly db: Database) {
    this.reads = reads(db);
  }

  async device(id: string): Promise<Device | undefined> {
    return this.reads.device.get({ id });
  }

  async attempt(id: string): Promise<Attempt | undefined> {
    const row = this.reads.attempt.get({ id });
    return row ? attemptOf(row) : undefined;
  }

  async session(hash: string): Promise<Session | undefined> {
    return this.reads.session.get({ hash });
  }

  async lastFactor(actorId: string, deviceId: string, kind: string | readonly string[], since: number): Promise<{ passedAt: number; clientId: string } | undefined> {
    if (typeof kind === 'string') return this.reads.lastFactor.get({ actorId, deviceId, kind, since });
    // A list of kinds is one of a few fixed lists (the first factors): each is prepared once.
    // `+kind` keeps the list out of the index search: with the list in it, SQLite probes the
    // index once per kind and merges them for the ORDER BY, about 170 µs against 17 µs.
    const key = kind.join(' ');
    let read = this.amongKinds.get(key);
    if (!read) this.amongKinds.set(key, (read = lastFactorOf(this.db, inArray(sql`+${factors.kind}`, [...kind]))));
    return read.get({ actorId, deviceId, since });
  }

  async consentedScopes(actorId: string, clientId: string): Promise<string[]> {
    return this.reads.consent.get({ actorId, clientId })?.scopes ?? [];
  }

  async challenge(value: string): Promise<Challenge | undefined> {
    return this.reads.challenge.get({ challenge: value });
  }

  async loginLink(hash: string): Promise<LoginLink | undefined> {
    return this.reads.loginLink.get({ hash });
  }

  async pendingLoginLink(attemptId: string, purpose: LoginLink['purpose']): Promise<LoginLink | undefined> {
    return this.reads.pendingLoginLink.get({ attemptId, purpose });
  }

  advanceAttempt(change: AttemptChange): Promise<AdvanceResult> {
    return this.db.durable.run('advanceAttempt', change);
  }

  async endSession(hash: string, sid: string, now: number): Promise<void> {
    await this.db.durable.run('signOut', { hash, sid, now });
  }

  async signOutDevice(deviceId: string, now: number): Promise<void> {
    await this.db.durable.run('signOutDevice', { deviceId, now });
  }

  async blockDevice(id: string, now: number): Promise<void> {
    await this.db.durable.run('blockDevice', { id, now });
  }

  async endSessionsOf(actorId: string, now: number): Promise<void> {
    await this.db.durable.run('endSessionsOf', { actorId, now });
  }

  async actorsOnDevice(deviceId: string, now: number): Promise<string[]> {
    return this.reads.actorsOnDevice.all({ deviceId, now }).map((row) => row.actorId);
  }

  async sessionById(id: string): Promise<Session | undefined> {
    return this.reads.sessionById.get({ id });
  }

  async sessionsOf(actorId: string, now: number): Promise<SessionOnDevice[]> {
    return this.reads.sessionsOf.all({ actorId, now }).map((row) => ({ ...row.sessions, device: row.devices ?? undefined }));
  }

  async consentsOf(actorId: string): Promise<Consent[]> {
    return this.reads.consentsOf.all({ actorId });
  }

  withdrawConsent(actorId: string, clientId: string, now: number): Promise<boolean> {
    return this.db.durable.run('withdrawConsent', { actorId, clientId, now });
  }
}
