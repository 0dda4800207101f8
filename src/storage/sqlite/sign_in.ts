/** Devices, sign-in attempts, sessions, remembered factors and consents in SQLite. */
import { and, desc, eq, gt } from 'drizzle-orm';
import type { Attempt, AttemptStep, Device, Session } from '../../model.js';
import type { PassedFactor } from '../../signin/factors.js';
import type { AttemptChange, SignInStore } from '../store.js';
import type { Database } from './db.js';
import { attempts, consents, devices, factors, sessions } from './schema.js';

export class SqliteSignIns implements SignInStore {
  constructor(private readonly db: Database) {}

  async device(id: string): Promise<Device | undefined> {
    return this.db.orm.select().from(devices).where(eq(devices.id, id)).get();
  }

  async attempt(id: string): Promise<Attempt | undefined> {
    const row = this.db.orm.select().from(attempts).where(eq(attempts.id, id)).get();
    if (!row) return undefined;
    return {
      ...row,
      request: row.request as unknown as Attempt['request'],
      passed: row.passed as PassedFactor[],
      steps: row.steps as AttemptStep[],
    };
  }

  async session(hash: string): Promise<Session | undefined> {
    return this.db.orm.select().from(sessions).where(eq(sessions.hash, hash)).get();
  }

  async lastFactor(actorId: string, deviceId: string, kind: string, since: number): Promise<{ passedAt: number; clientId: string } | undefined> {
    return this.db.orm
      .select({ passedAt: factors.passedAt, clientId: factors.clientId })
      .from(factors)
      .where(and(eq(factors.actorId, actorId), eq(factors.deviceId, deviceId), eq(factors.kind, kind), gt(factors.passedAt, since)))
      .orderBy(desc(factors.passedAt))
      .get();
  }

  async consentedScopes(actorId: string, clientId: string): Promise<string[]> {
    return this.db.orm.select({ scopes: consents.scopes }).from(consents).where(and(eq(consents.actorId, actorId), eq(consents.clientId, clientId))).get()?.scopes ?? [];
  }

  advanceAttempt(change: AttemptChange): Promise<boolean> {
    return this.db.durable.run('advanceAttempt', change);
  }

  async endSession(hash: string, sid: string, now: number): Promise<void> {
    await this.db.durable.run('endSession', { hash, sid, now });
  }

  async blockDevice(id: string, now: number): Promise<void> {
    await this.db.durable.run('blockDevice', { id, now });
  }
}
