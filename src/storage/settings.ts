/** Installation-wide facts kept in the settings table. */
import { eq } from 'drizzle-orm';
import type { Database } from './db.js';
import { settings } from './schema.js';

export class Settings {
  constructor(
    private readonly db: Database,
    private readonly clock: () => number,
  ) {}

  get<T>(key: string): T | undefined {
    return this.db.orm.select().from(settings).where(eq(settings.key, key)).get()?.value as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.db.orm
      .insert(settings)
      .values({ key, value, updatedAt: this.clock() })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: this.clock() } })
      .run();
  }
}
