/** Devices, sign-in attempts, sessions, remembered factors and consents: reads here, writes durable. */
import { and, desc, eq, gt } from 'drizzle-orm';
import type { Database } from './db.js';
import { attempts, consents, devices, factors, sessions } from './schema.js';

export type DeviceRow = typeof devices.$inferSelect;
export type AttemptRow = typeof attempts.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;

export class SignIns {
  constructor(private readonly db: Database) {}

  device(id: string): DeviceRow | undefined {
    return this.db.orm.select().from(devices).where(eq(devices.id, id)).get();
  }

  attempt(id: string): AttemptRow | undefined {
    return this.db.orm.select().from(attempts).where(eq(attempts.id, id)).get();
  }

  session(hash: string): SessionRow | undefined {
    return this.db.orm.select().from(sessions).where(eq(sessions.hash, hash)).get();
  }

  /** When the actor last passed a factor of `kind` on the device after `since`, and for which client. */
  lastFactor(actorId: string, deviceId: string, kind: string, since: number): { passedAt: number; clientId: string } | undefined {
    return this.db.orm
      .select({ passedAt: factors.passedAt, clientId: factors.clientId })
      .from(factors)
      .where(and(eq(factors.actorId, actorId), eq(factors.deviceId, deviceId), eq(factors.kind, kind), gt(factors.passedAt, since)))
      .orderBy(desc(factors.passedAt))
      .get();
  }

  consentedScopes(actorId: string, clientId: string): string[] {
    return this.db.orm.select({ scopes: consents.scopes }).from(consents).where(and(eq(consents.actorId, actorId), eq(consents.clientId, clientId))).get()?.scopes ?? [];
  }

  blockDevice(id: string, now: number): void {
    this.db.orm.update(devices).set({ blockedAt: now }).where(eq(devices.id, id)).run();
  }
}
