/**
 * PostgreSQL stopped hard under load, then started again, on a cluster of the test's own:
 * every token masks acknowledged survives; while the database is gone the node is alive
 * (/up), not ready (/ready 503) and answers requests with 503, never a 500; it recovers by
 * itself when the database is back.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import YAML from 'yaml';
import { PACKAGE_ROOT } from '../src/paths.js';
import { sha256 } from '../src/security/secrets.js';
import { baseYaml, basic, CONFIDENTIAL, tempDir } from './helpers/app.js';
import { openPeek } from './helpers/peek.js';
import { noPostgres } from './helpers/postgres.js';
import { startMasksProcess } from './helpers/process.js';
import { freePort } from './helpers/server.js';

const headers = { authorization: basic(CONFIDENTIAL.id, CONFIDENTIAL.secret), 'content-type': 'application/x-www-form-urlencoded' };
const SCRIPT = path.join(PACKAGE_ROOT, 'scripts', 'test-postgres.sh');

t.test('PostgreSQL stopped hard and started again', { skip: noPostgres }, async (t) => {
  const port = await freePort();
  const cluster = (command: string) => {
    const result = spawnSync(SCRIPT, [command], { env: { ...process.env, MASKS_TEST_PG_PORT: String(port) }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`test-postgres.sh ${command}: ${result.stderr}`);
    return result.stdout;
  };
  const dbUrl = /MASKS_TEST_PG_URL=(\S+)/.exec(cluster('start'))![1]!;
  t.teardown(() => cluster('stop'));
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'masks.yml'), YAML.stringify(baseYaml()));
  const { url } = await startMasksProcess(t, dir, { MASKS_DB_URL: dbUrl });

  const acknowledged: string[] = [];
  const statuses = new Map<number, number>();
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const response = await fetch(`${url}/token`, { method: 'POST', headers, body: 'grant_type=client_credentials' });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status === 200) acknowledged.push(((await response.json()) as { access_token: string }).access_token);
      else await response.body?.cancel();
      if (response.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const workers = Array.from({ length: 16 }, worker);
  while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
  cluster('down');
  const atCrash = acknowledged.length;

  const ready = await fetch(`${url}/ready`);
  t.equal(ready.status, 503, 'not ready while the database is gone');
  t.equal((await fetch(`${url}/up`)).status, 200, 'but alive');
  const refused = await fetch(`${url}/token`, { method: 'POST', headers, body: 'grant_type=client_credentials' });
  t.equal(refused.status, 503, 'a token request is answered 503 meanwhile');
  t.match(await refused.json(), { error: 'temporarily_unavailable' });

  cluster('up');
  let back = false;
  for (let i = 0; i < 100 && !back; i++) {
    back = (await fetch(`${url}/ready`)).status === 200;
    if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.ok(back, 'ready again by itself once the database is back');
  const afterwards = acknowledged.length;
  while (acknowledged.length < afterwards + 50) await new Promise((resolve) => setTimeout(resolve, 10));
  stop = true;
  await Promise.all(workers);
  t.notOk(statuses.has(500), `no 500 at any time (answers: ${JSON.stringify(Object.fromEntries(statuses))})`);

  const peek = openPeek(dbUrl);
  t.teardown(() => peek.close());
  const stored = new Set(await peek.column<string>('select hash from tokens'));
  const lost = acknowledged.filter((token) => !stored.has(sha256(token)));
  t.same(lost, [], `all ${acknowledged.length} acknowledged tokens (${atCrash} before the crash) survived it`);
});
