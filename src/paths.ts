/** Locations inside the installed package, the same whether running from src/ (tests) or dist/. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('masks: cannot find the package root');
    dir = parent;
  }
  return dir;
}

/** The folder holding package.json, db/ and templates/. */
export const PACKAGE_ROOT = findRoot();
/** Migrations per dialect: db/sqlite (drizzle-kit, drizzle.config.ts) and db/postgres (drizzle.postgres.config.ts). */
export const MIGRATIONS_DIR = path.join(PACKAGE_ROOT, 'db', 'sqlite');
export const PG_MIGRATIONS_DIR = path.join(PACKAGE_ROOT, 'db', 'postgres');
