/** Test helpers: a masks on a fresh temporary SQLite file (or PostgreSQL schema, MASKS_TEST_DB=postgres), with a fake clock. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import YAML from 'yaml';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { openMasks, type Masks } from '../../src/context.js';
import { openPeek, type Peek } from './peek.js';
import { schemaUrlFor } from './postgres.js';

export interface TestMasks {
  app: FastifyInstance;
  masks: Masks;
  /** A connection of the test's own to the database, to look at (and arrange) what is stored. */
  db: Peek;
  config: Config;
  dir: string;
  clock: FakeClock;
  /** Lines masks printed to the operator (generated secrets). */
  announced: string[];
  /** Close and reopen on the same files (a restart). */
  restart(): Promise<TestMasks>;
  close(): Promise<void>;
}

/** The part of a tap test the helpers need. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

export class FakeClock {
  constructor(public now = Math.floor(Date.now() / 1000)) {}
  readonly read = () => this.now;
  advance(seconds: number) {
    this.now += seconds;
  }
}

export const CONFIDENTIAL = { id: 'backend', secret: 'backend-secret-that-is-at-least-32-chars', scopes: ['api:read', 'api:write'] };

/** A masks.yml with one confidential client allowed api:read and api:write. */
export const baseYaml = (extra: Record<string, unknown> = {}) => ({
  seeds: {
    clients: [
      { id: CONFIDENTIAL.id, name: 'Backend', client_type: 'confidential', secret: CONFIDENTIAL.secret, scopes: { allowed: CONFIDENTIAL.scopes } },
      { id: 'spa', client_type: 'public', redirect_uris: ['http://127.0.0.1/cb'] },
    ],
  },
  manager: { password: 'manager-password' },
  ...extra,
});

export function tempDir(t: Teardown): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'masks-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Boot a masks in `dir` (a new temporary folder unless given) from a masks.yml object and env. */
export async function makeMasks(
  t: Teardown,
  options: { yaml?: Record<string, unknown>; env?: Record<string, string>; dir?: string; clock?: FakeClock } = {},
): Promise<TestMasks> {
  const dir = options.dir ?? tempDir(t);
  // On PostgreSQL each installation folder has a schema of its own (a restart, or another masks on the same folder, finds it).
  const env = { ...schemaUrlFor(dir, t), ...options.env };
  const ymlPath = path.join(dir, 'masks.yml');
  writeFileSync(ymlPath, YAML.stringify(options.yaml ?? baseYaml()));
  const config = loadConfig({ cwd: dir, env: { MASKS_DATA: path.join(dir, 'data'), MASKS_YML: ymlPath, MASKS_LOG_LEVEL: 'silent', ...env } });
  const clock = options.clock ?? new FakeClock();
  const masks = await openMasks(config, { clock: clock.read });
  const announced: string[] = [];
  try {
    await bootstrap(masks, (line) => announced.push(line));
  } catch (error) {
    await masks.close(); // a boot that stops lets go of its database
    throw error;
  }
  const app = buildApp(masks, { logger: false });
  await app.ready();
  const db = openPeek(config.db_url);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await db.close();
    await app.close();
    await masks.close();
  };
  t.teardown(close);
  return {
    app,
    masks,
    db,
    config,
    dir,
    clock,
    announced,
    close,
    restart: async () => {
      await close();
      return makeMasks(t, { ...options, dir, clock });
    },
  };
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** POST a form to masks with optional Basic authentication. */
export function post(app: FastifyInstance, url: string, fields: Record<string, string> | string, authorization?: string) {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
    payload: typeof fields === 'string' ? fields : form(fields),
  });
}

/** A client_credentials token for the confidential test client. */
export async function clientCredentialsToken(app: FastifyInstance, scope?: string) {
  const response = await post(app, '/token', { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, basic(CONFIDENTIAL.id, CONFIDENTIAL.secret));
  if (response.statusCode !== 200) throw new Error(`token request failed: ${response.body}`);
  return response.json() as { access_token: string; token_type: string; expires_in: number; scope?: string };
}
