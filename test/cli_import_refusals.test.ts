/**
 * masks import refuses, writing nothing and saying why: a taken nickname, another
 * installation secret, a file that is not an export of this version or not of its shape,
 * names something twice, or brings a built-in or undeclared seeded client.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config/load.js';
import t from 'tap';
import { parseExport } from '../src/export/format.js';
import { openPeek } from './helpers/peek.js';
import { schemaUrlFor } from './helpers/postgres.js';
import { makeMasks, tempDir } from './helpers/app.js';
import { cli, MANAGER, oldInstallation, withKeysOf } from './helpers/export.js';

// One installation to export from, for every refusal.
t.test('import refuses, writing nothing and saying why', async (t) => {
  const old = await oldInstallation(t);
  const file = path.join(tempDir(t), 'export.json');
  t.equal(cli(old.m, ['export', '--to', file]).code, 0);
  const good = JSON.parse(readFileSync(file, 'utf8'));

  await t.test('one taken nickname, another installation secret, a broken or missing file', async (t) => {
    // Started before the import: its own first manager holds the nickname "manager".
    const started = await makeMasks(t, { dir: withKeysOf(t, old.m), yaml: MANAGER });
    const taken = cli(started, ['import', '--from', file]);
    t.equal(taken.code, 1);
    t.equal(taken.stderr, 'masks: nothing imported: already here: nickname "manager" (import into a new installation before its first start, which makes a first manager)\n');
    t.equal((await started.db.value("select count(*) from clients where id = 'vault'")), 0, 'not the client');
    t.equal((await started.db.value("select count(*) from actors where nickname = 'alice'")), 0, 'nor alice');

    const bare = { dir: tempDir(t) };
    const noSecret = cli(bare, ['import', '--from', file]);
    t.equal(noSecret.code, 1);
    t.equal(noSecret.stderr, `masks: there is no ${path.join(bare.dir, 'data', 'secret.key')}: copy the old installation's secret.key and private key file here first\n`);
    mkdirSync(path.join(bare.dir, 'data'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(bare.dir, 'data', 'secret.key'), `${'ab'.repeat(32)}\n`, { mode: 0o600 });
    const otherSecret = cli(bare, ['import', '--from', file]);
    t.equal(otherSecret.code, 1);
    t.match(otherSecret.stderr, `secret.key is not the installation secret ${file} was exported under`);

    const fresh = { dir: withKeysOf(t, old.m) };
    const broken = path.join(fresh.dir, 'broken.json');
    writeFileSync(broken, '{"masks_export": 1, "clients": [');
    const malformed = cli(fresh, ['import', '--from', broken]);
    t.equal(malformed.code, 1);
    t.match(malformed.stderr, new RegExp(`^masks: ${broken} is not JSON \\([^\\n]+\\)\\n$`), 'one line, no stack trace');
    t.equal(cli(fresh, ['import', '--from', path.join(fresh.dir, 'missing.json')]).stderr, `masks: cannot read ${path.join(fresh.dir, 'missing.json')} (ENOENT)\n`);
    const db = openPeek(loadConfig({ cwd: fresh.dir, env: schemaUrlFor(fresh.dir) }).db_url);
    t.teardown(() => db.close());
    t.equal(await db.value('select count(*) from actors'), 0, 'nothing was imported');
  });

  await t.test('the file is checked whole before anything is written: version, shape, repeats, consents, built-in and seeded clients', async (t) => {
    t.same(parseExport(JSON.stringify(good), 'f').data, await old.m.masks.store.exportAll().then((all) => ({ ...all, clients: all.clients.filter((c) => c.id === 'vault') })), 'what the store exported, less the built-in clients');
    t.throws(() => parseExport('{"masks_export": 2, "clients": [], "actors": []}', 'f'), { name: 'InputError', message: 'f is a masks export of version 2; this masks reads version 1' });
    const withNul = { ...good, actors: good.actors.map((actor: { name: string | null }, i: number) => (i === 0 ? { ...actor, name: 'Al\u0000ice' } : actor)) };
    t.throws(() => parseExport(JSON.stringify(withNul), 'f'), { name: 'InputError', message: /^f: \/actors\/0\/name: holds a NUL character/ }, 'a NUL from an old SQLite installation is named, not a database error');
    t.throws(() => parseExport('[]', 'f'), { name: 'InputError', message: 'f is not a masks export (it has no "masks_export" version)' });
    const alice = good.actors.findIndex((a: { nickname: string }) => a.nickname === 'alice');
    const broken = (change: (file: any) => void) => {
      const copy = structuredClone(good);
      change(copy);
      return () => parseExport(JSON.stringify(copy), 'f');
    };
    t.throws(broken((f) => (f.clients[0].secretHash = 5)), { name: 'InputError', message: 'f: /clients/0/secretHash: Expected union value' });
    t.throws(broken((f) => (f.clients[0].overrides.client_type = 'weird')), { name: 'InputError', message: /^f: \/clients\/0\/overrides\/client_type: / });
    t.throws(broken((f) => (f.actors[0].extra = true)), { name: 'InputError', message: /^f: \/actors\/0\/extra: / });
    t.throws(broken((f) => f.actors.push({ ...f.actors[alice], id: 'x', publicUuid: 'y', emails: [], authenticators: [] })), { name: 'InputError', message: 'f holds nickname "alice" more than once' });
    t.throws(broken((f) => (f.actors[alice].consents[0].clientId = 'gone')), { name: 'InputError', message: /consented to client "gone", which the file does not hold/ });
    const fresh = { dir: withKeysOf(t, old.m) };
    const builtIn = path.join(fresh.dir, 'built-in.json');
    writeFileSync(builtIn, JSON.stringify({ ...good, clients: [...good.clients, { ...good.clients[0], id: 'manage' }] }));
    t.equal(cli(fresh, ['import', '--from', builtIn]).stderr, `masks: ${builtIn}: client "manage" is built in; masks makes its own\n`);
    const seeded = path.join(fresh.dir, 'seeded.json');
    writeFileSync(seeded, JSON.stringify({ ...good, clients: [{ ...good.clients[0], seeded: true }] }));
    t.equal(cli(fresh, ['import', '--from', seeded]).stderr, 'masks: client "vault" was declared in the old masks.yml (seeds.clients) and is not in this one: bring masks.yml along\n');
  });
});
