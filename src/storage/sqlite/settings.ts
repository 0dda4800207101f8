/** Installation-wide facts kept in the settings table (first boot, ...), in SQLite. */
import { eq } from 'drizzle-orm';
import type { SettingStore } from '../store.js';
import type { Database } from './db.js';
import { settings } from './schema.js';

export class SqliteSettings implements SettingStore {
  constructor(private readonly db: Database) {}

  async get<T>(key: string): Promise<T | undefined> {
    return this.db.orm.select().from(settings).where(eq(settings.key, key)).get()?.value as T | undefined;
  }

  async set(key: string, value: unknown, now: number): Promise<void> {
    await this.db.durable.run('setSetting', { key, value, now });
  }
}
