/** Installation-wide facts kept in the settings table. */
import { eq } from 'drizzle-orm';
import type { Database } from './db.js';
import { settings } from './schema.js';

export class Settings {
  constructor(private readonly db: Database) {}

  get<T>(key: string): T | undefined {
    return this.db.orm.select().from(settings).where(eq(settings.key, key)).get()?.value as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.db.orm
      .insert(settings)
      .values({ key, value })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: Math.floor(Date.now() / 1000) } })
      .run();
  }
}
