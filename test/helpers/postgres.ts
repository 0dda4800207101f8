/**
 * PostgreSQL for the tests: MASKS_TEST_PG_URL names a server the tests may create schemas
 * on (`scripts/test-postgres.sh start` prints one). Each store gets a fresh schema of its
 * own, dropped when the test ends. MASKS_TEST_DB=postgres runs the whole suite on it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Teardown } from './app.js';

export const PG_URL = process.env.MASKS_TEST_PG_URL;

/** Whether the whole suite runs on PostgreSQL (else SQLite files). */
export const ON_POSTGRES = process.env.MASKS_TEST_DB === 'postgres';
if (ON_POSTGRES && !PG_URL) throw new Error('MASKS_TEST_DB=postgres needs MASKS_TEST_PG_URL (see scripts/test-postgres.sh)');

/** Why a PostgreSQL test cannot run here (tap's `skip`), or false. */
export const noPostgres: string | false = PG_URL ? false : 'MASKS_TEST_PG_URL is not set (scripts/test-postgres.sh start)';

/** Run one statement on the test server as its administrator. */
export async function admin<T extends pg.QueryResultRow>(text: string, values: unknown[] = [], url = PG_URL!): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

const schemas = new Map<string, string>();

/**
 * On PostgreSQL, the database of the installation in `dir` (the same for every command run
 * there, like its SQLite file), as MASKS_DB_URL; on SQLite nothing. Dropped at `t`'s teardown
 * when given; else the throwaway cluster goes with it at the end.
 */
export function schemaUrlFor(dir: string, t?: Teardown): { MASKS_DB_URL?: string } {
  if (!ON_POSTGRES) return {};
  let url = schemas.get(dir);
  if (!url) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    t?.teardown(() => dropSchema(schema));
    url = schemaUrl(schema);
    schemas.set(dir, url);
  }
  return { MASKS_DB_URL: url };
}

/** A db_url for a fresh, empty schema, dropped at teardown (the test closes what uses it first). */
export function freshSchemaUrl(t: Teardown): string {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  t.teardown(() => dropSchema(schema));
  return schemaUrl(schema);
}

function schemaUrl(schema: string): string {
  const url = new URL(PG_URL!);
  url.searchParams.set('schema', schema);
  return url.toString();
}

const dropSchema = (schema: string) => admin(`drop schema if exists ${schema} cascade`).then(() => undefined, () => undefined);
