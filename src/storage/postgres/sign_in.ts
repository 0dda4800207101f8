/** Devices, sign-in attempts, sessions, remembered factors and consents in PostgreSQL (never cached: another node may have just changed them). */
import { and, asc, desc, eq, gt, inArray, isNull } from 'drizzle-orm';
import type { Attempt, Challenge, Consent, Device, LoginLink, Session } from '../../model.js';
import { attemptOf } from '../rows.js';
import type { AdvanceResult, AttemptChange, SessionOnDevice, SignInStore } from '../store.js';
import type { Commands } from './commands.js';
import type { PgDatabase } from './db.js';
import { attempts, challenges, consents, devices, factors, loginLinks, sessions } from './schema.js';

export class PgSignIns implements SignInStore {
  constructor(
    private readonly db: PgDatabase,
    private readonly write: Commands,
  ) {}

  private get orm() {
    return this.db.orm;
  }

  async device(id: string): Promise<Device | undefined> {
    return (await this.orm.select().from(devices).where(eq(devices.id, id)))[0];
  }

  async attempt(id: string): Promise<Attempt | undefined> {
    const [row] = await this.orm.select().from(attempts).where(eq(attempts.id, id));
    return row ? attemptOf(row) : undefined;
  }

  async session(hash: string): Promise<Session | undefined> {
    return (await this.orm.select().from(sessions).where(eq(sessions.hash, hash)))[0];
  }

  async lastFactor(actorId: string, deviceId: string, kind: string | readonly string[], since: number): Promise<{ passedAt: number; clientId: string } | undefined> {
    const [row] = await this.orm
      .select({ passedAt: factors.passedAt, clientId: factors.clientId })
      .from(factors)
      .where(and(eq(factors.actorId, actorId), eq(factors.deviceId, deviceId), typeof kind === 'string' ? eq(factors.kind, kind) : inArray(factors.kind, [...kind]), gt(factors.passedAt, since)))
      .orderBy(desc(factors.passedAt))
      .limit(1);
    return row;
  }

  async consentedScopes(actorId: string, clientId: string): Promise<string[]> {
    return (await this.orm.select({ scopes: consents.scopes }).from(consents).where(and(eq(consents.actorId, actorId), eq(consents.clientId, clientId))))[0]?.scopes ?? [];
  }

  async challenge(value: string): Promise<Challenge | undefined> {
    return (await this.orm.select().from(challenges).where(eq(challenges.challenge, value)))[0];
  }

  async loginLink(hash: string): Promise<LoginLink | undefined> {
    return (await this.orm.select().from(loginLinks).where(eq(loginLinks.hash, hash)))[0];
  }

  async pendingLoginLink(attemptId: string, purpose: LoginLink['purpose']): Promise<LoginLink | undefined> {
    const [row] = await this.orm
      .select()
      .from(loginLinks)
      .where(and(eq(loginLinks.attemptId, attemptId), eq(loginLinks.purpose, purpose), isNull(loginLinks.usedAt)))
      .orderBy(desc(loginLinks.createdAt))
      .limit(1);
    return row;
  }

  advanceAttempt(change: AttemptChange): Promise<AdvanceResult> {
    return this.write.advanceAttempt(change);
  }

  async endSession(hash: string, sid: string, now: number): Promise<void> {
    await this.write.signOut({ hash, sid, now });
  }

  async signOutDevice(deviceId: string, now: number): Promise<void> {
    await this.write.signOutDevice({ deviceId, now });
  }

  async blockDevice(id: string, now: number): Promise<void> {
    await this.write.blockDevice({ id, now });
  }

  async endSessionsOf(actorId: string, now: number): Promise<void> {
    await this.write.endSessionsOf({ actorId, now });
  }

  async actorsOnDevice(deviceId: string, now: number): Promise<string[]> {
    const rows = await this.orm
      .selectDistinct({ actorId: sessions.actorId })
      .from(sessions)
      .where(and(eq(sessions.deviceId, deviceId), isNull(sessions.endedAt), gt(sessions.expiresAt, now)));
    return rows.map((row) => row.actorId);
  }

  async sessionById(id: string): Promise<Session | undefined> {
    return (await this.orm.select().from(sessions).where(eq(sessions.id, id)))[0];
  }

  async sessionsOf(actorId: string, now: number): Promise<SessionOnDevice[]> {
    const rows = await this.orm
      .select()
      .from(sessions)
      .leftJoin(devices, eq(devices.id, sessions.deviceId))
      .where(and(eq(sessions.actorId, actorId), isNull(sessions.endedAt), gt(sessions.expiresAt, now)))
      .orderBy(desc(sessions.createdAt), asc(sessions.id));
    return rows.map((row) => ({ ...row.sessions, device: row.devices ?? undefined }));
  }

  async consentsOf(actorId: string): Promise<Consent[]> {
    return this.orm.select({ clientId: consents.clientId, scopes: consents.scopes, grantedAt: consents.grantedAt }).from(consents).where(eq(consents.actorId, actorId)).orderBy(asc(consents.clientId));
  }

  withdrawConsent(actorId: string, clientId: string, now: number): Promise<boolean> {
    return this.write.withdrawConsent({ actorId, clientId, now });
  }
}
