import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import YAML from 'yaml';
import { sha256 } from '../src/security/secrets.js';
import { loadConfig } from '../src/config/load.js';
import { baseYaml, basic, CONFIDENTIAL, tempDir } from './helpers/app.js';
import { openPeek } from './helpers/peek.js';
import { ON_POSTGRES, schemaUrlFor } from './helpers/postgres.js';
import { exited, startMasksProcess } from './helpers/process.js';

const auth = basic(CONFIDENTIAL.id, CONFIDENTIAL.secret);
const headers = { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' };

t.test('kill -9 under load: every token handed out and every revocation answered is on disk', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'masks.yml'), YAML.stringify(baseYaml()));
  const { child, url } = await startMasksProcess(t, dir);

  const issued: string[] = [];
  const revoked: string[] = [];
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const response = await fetch(`${url}/token`, { method: 'POST', headers, body: 'grant_type=client_credentials' }).catch(() => undefined);
      if (!response || response.status !== 200) continue;
      const { access_token: token } = (await response.json()) as { access_token: string };
      issued.push(token);
      if (issued.length % 5 === 0) {
        const revocation = await fetch(`${url}/revoke`, { method: 'POST', headers, body: `token=${token}` }).catch(() => undefined);
        if (revocation?.status === 200) revoked.push(token);
      }
    }
  };
  const workers = Array.from({ length: 16 }, worker);
  while (issued.length < 300) await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill('SIGKILL'); // while requests are in flight
  t.equal(await exited(child), 'SIGKILL');
  stop = true;
  await Promise.all(workers);

  const dbUrl = loadConfig({ cwd: dir, env: schemaUrlFor(dir) }).db_url;
  if (!ON_POSTGRES) {
    const sqlite = new Sqlite(dbUrl, { readonly: true });
    t.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok', 'integrity_check after kill -9');
    sqlite.close();
  }
  const db = openPeek(dbUrl);
  t.teardown(() => db.close());
  const stored = new Map((await db.all<{ hash: string; revoked_at: number | null }>('select hash, revoked_at from tokens')).map((row) => [row.hash, row.revoked_at]));
  const missing = issued.filter((token) => !stored.has(sha256(token)));
  t.same(missing, [], `all ${issued.length} tokens handed out are stored`);
  const notRevoked = revoked.filter((token) => stored.get(sha256(token)) === null);
  t.same(notRevoked, [], `all ${revoked.length} answered revocations are stored`);
});
