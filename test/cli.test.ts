import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { bootstrap } from '../src/bootstrap.js';
import { loadConfig } from '../src/config/load.js';
import { openMasks } from '../src/context.js';
import { tempDir } from './helpers/app.js';
import { openPeek } from './helpers/peek.js';
import { ON_POSTGRES, schemaUrlFor } from './helpers/postgres.js';
import { exited, runMasks, startMasksProcess } from './helpers/process.js';

const masks = (dir: string, args: string[], env: Record<string, string> = {}) => runMasks(dir, args, { MASKS_MANAGER_PASSWORD: 'manager-password', ...env });

/** The first boot of `masks start` in `dir` (management client, first manager), without serving. */
async function firstBoot(dir: string) {
  const booted = await openMasks(loadConfig({ cwd: dir, env: { MASKS_MANAGER_PASSWORD: 'manager-password', MASKS_LOG_LEVEL: 'silent', ...schemaUrlFor(dir) } }));
  try {
    await bootstrap(booted, () => {});
  } finally {
    await booted.close();
  }
}

t.test('--help on the whole CLI and on each command', async (t) => {
  const dir = tempDir(t);
  const all = masks(dir, ['--help']);
  t.equal(all.code, 0);
  for (const command of ['masks start', 'masks migrate', 'masks config', 'masks keys rotate', 'masks clients add', 'masks clients list', 'masks clients show', 'masks actors add', 'masks actors list', 'masks backup', 'masks export', 'masks import']) {
    t.match(all.stdout, command);
  }
  const one = masks(dir, ['clients', 'add', '--help']);
  t.equal(one.code, 0);
  t.match(one.stdout, /^Usage: masks clients add --id ID/);
  const unknown = masks(dir, ['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, 'unknown command "frobnicate"');
});

t.test('config prints the resolved configuration with secrets redacted; bad config exits 1', async (t) => {
  const dir = tempDir(t);
  const shown = masks(dir, ['config', '--json']);
  t.equal(shown.code, 0, shown.stderr);
  const config = JSON.parse(shown.stdout);
  t.equal(config.clients.access_token_expires_in, 21600);
  t.equal(config.manager.password, '[redacted]');
  const bad = masks(dir, ['config'], { MASKS_CLIENTS_ACCESS_TOKEN_EXPIRES_IN: 'later' });
  t.equal(bad.code, 1);
  t.equal(bad.stderr, 'masks: config key "clients.access_token_expires_in" is not a duration (try "10 minutes", "6 hours" or "30s"), got "later" (from environment variable MASKS_CLIENTS_ACCESS_TOKEN_EXPIRES_IN)\n');
});

t.test('migrate, clients, actors and keys', async (t) => {
  const dir = tempDir(t);
  t.match(masks(dir, ['migrate']).stdout, /is up to date/);
  await firstBoot(dir);

  const added = masks(dir, ['clients', 'add', '--id', 'cli-app', '--type', 'confidential', '--scope', 'api', '--redirect-uri', 'https://app.example/cb']);
  t.equal(added.code, 0, added.stderr);
  const secret = /client_secret \(shown once\): (\S+)/.exec(added.stdout)?.[1];
  t.match(secret, /^[A-Za-z0-9_-]{43}$/);
  const again = masks(dir, ['clients', 'add', '--id', 'cli-app']);
  t.equal(again.code, 1);
  t.match(again.stderr, 'client "cli-app" already exists');
  t.equal(masks(dir, ['clients', 'add', '--id', 'x', '--type', 'weird']).code, 1);

  const list = masks(dir, ['clients', 'list']);
  t.match(list.stdout, /^cli-app\tconfidential\tcli-app$/m);
  t.match(list.stdout, /^manage\tinternal\t/m);
  const show = masks(dir, ['clients', 'show', 'cli-app']);
  t.match(show.stdout, /client_type: confidential/);
  t.match(show.stdout, /has_secret: true/);
  t.notMatch(show.stdout, secret!, 'never shows the secret');
  t.equal(masks(dir, ['clients', 'show', 'nope']).code, 1);

  const actor = masks(dir, ['actors', 'add', '--nickname', 'Carol', '--email', 'carol@example.com', '--password', 'carol-password', '--scope', 'api']);
  t.equal(actor.code, 0, actor.stderr);
  const actors = masks(dir, ['actors', 'list']);
  t.match(actors.stdout, /\tcarol\tcarol@example.com\tapi$/m);
  t.match(actors.stdout, /\tmanager\t-\tmasks:manage$/m);
  t.equal(masks(dir, ['actors', 'add', '--nickname', 'carol']).code, 1, 'duplicate');

  const rotated = masks(dir, ['keys', 'rotate']);
  t.equal(rotated.code, 0, rotated.stderr);
  t.match(rotated.stdout, /^RS256 [A-Za-z0-9_-]{43}\nES256 [A-Za-z0-9_-]{43}\n$/);
  const db = openPeek(loadConfig({ cwd: dir, env: schemaUrlFor(dir) }).db_url);
  t.equal(await db.value('select count(*) from signing_keys where retired_at is not null'), 2, 'old keys retired, still published');
  await db.close();
});

t.test('client and actor commands open the database only: no bootstrap, no signing keys', async (t) => {
  const dir = tempDir(t);
  const added = masks(dir, ['clients', 'add', '--id', 'early', '--type', 'public', '--redirect-uri', 'http://127.0.0.1/cb']);
  t.equal(added.code, 0, added.stderr);
  t.equal(added.stdout, 'masks: added public client "early"\n', 'no first manager made, no password printed');
  t.equal(masks(dir, ['clients', 'list']).stdout, 'early\tpublic\tearly\n', 'no management client made either');
  t.equal(masks(dir, ['actors', 'list']).stdout, '');
  t.notOk(existsSync(path.join(dir, 'data', 'private.key')), 'no signing keys made');
  t.notOk(existsSync(path.join(dir, 'data', 'secret.key')), 'no installation secret until a client secret is hashed');

  const manage = masks(dir, ['clients', 'add', '--id', 'manage']);
  t.equal(manage.code, 1);
  t.equal(manage.stderr, 'masks: client "manage" is the built-in management client; masks keeps it\n', 'refused before any boot made it');
  writeFileSync(path.join(dir, 'masks.yml'), 'seeds:\n  clients:\n    - id: declared\n');
  const declared = masks(dir, ['clients', 'add', '--id', 'declared']);
  t.equal(declared.code, 1);
  t.equal(declared.stderr, 'masks: client "declared" is declared in masks.yml (seeds.clients); change it there\n', 'the next boot would overwrite it');
  const weird = masks(dir, ['clients', 'add', '--id', 'x', '--type', 'weird']);
  t.equal(weird.stderr, 'masks: client "x": client_type must be one of internal, confidential, public, got "weird"\n');
  const strict = masks(dir, ['clients', 'add', '--id', 'strict'], { MASKS_CLIENTS_CHECKS: 'device,credentials,second-factor,verified-email' });
  t.equal(strict.code, 0, strict.stderr);
  const unknown = masks(dir, ['clients', 'add', '--id', 'unknown'], { MASKS_CLIENTS_CHECKS: 'device,credentials,retina-scan' });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, /clients\.checks/, 'a check that does not exist is a configuration error naming the key');

  const secret = masks(dir, ['clients', 'add', '--id', 'backend', '--type', 'confidential']);
  t.equal(secret.code, 0, secret.stderr);
  t.ok(existsSync(path.join(dir, 'data', 'secret.key')), 'the installation secret, made to hash the client secret');
  const email = masks(dir, ['actors', 'add', '--email', 'not-an-address']);
  t.equal(email.stderr, 'masks: "not-an-address" is not an email address\n');
});

t.test('actors add follows the one password rule (NFKC code points, min_chars and max_chars)', async (t) => {
  const dir = tempDir(t);
  const add = (nickname: string, password: string) => masks(dir, ['actors', 'add', '--nickname', nickname, '--password', password], { MASKS_PASSWORDS_MAX_CHARS: '10' });
  const emoji = add('emoji', '\u{1F600}'.repeat(4));
  t.equal(emoji.code, 1, '4 emoji are 8 UTF-16 units but 4 characters');
  t.equal(emoji.stderr, 'masks: the password is shorter than passwords.min_chars (8)\n');
  const combining = add('combining', 'e\u0301'.repeat(4));
  t.equal(combining.code, 1, '8 UTF-16 units, 4 characters after NFKC');
  t.equal(combining.stderr, 'masks: the password is shorter than passwords.min_chars (8)\n');
  const long = add('long', 'x'.repeat(11));
  t.equal(long.code, 1);
  t.equal(long.stderr, 'masks: the password is longer than passwords.max_chars (10)\n');
  const fits = add('fits', '\u{1F600}'.repeat(10));
  t.equal(fits.code, 0, `10 emoji (20 UTF-16 units) fit max_chars 10: ${fits.stderr}`);
  t.notMatch(masks(dir, ['actors', 'list']).stdout, /\t(emoji|combining|long)\t/, 'no refused actor was created');
});

t.test('Kubernetes service links: a warning on stderr, not a stop', async (t) => {
  const dir = tempDir(t);
  const links = { MASKS_PORT: 'tcp://10.0.0.1:5000', MASKS_SERVICE_HOST: '10.0.0.1', MASKS_SERVICE_PORT: '5000', MASKS_PORT_5000_TCP_ADDR: '10.0.0.1' };
  const shown = masks(dir, ['config', '--json'], links);
  t.equal(shown.code, 0, shown.stderr);
  t.equal(JSON.parse(shown.stdout).port, 5000);
  t.match(shown.stderr, /^masks: warning: ignoring Kubernetes service link variables[^\n]*MASKS_PORT, MASKS_PORT_5000_TCP_ADDR, MASKS_SERVICE_HOST, MASKS_SERVICE_PORT[^\n]*\n$/);
  const typo = masks(dir, ['config'], { ...links, MASKS_PROT: '5000' });
  t.equal(typo.code, 1);
  t.equal(typo.stderr, 'masks: unknown environment variable MASKS_PROT (did you mean MASKS_PORT?)\n');
});

t.test('masks start serves, and SIGTERM drains and closes cleanly', async (t) => {
  const dir = tempDir(t);
  const { child, url, stdout } = await startMasksProcess(t, dir);
  const discovery = await (await fetch(`${url}/.well-known/openid-configuration`)).json();
  t.equal(discovery.issuer, 'http://localhost:5000');
  t.match(stdout(), /created the first manager "manager" with password \(shown once\): \S+/);
  child.kill('SIGTERM');
  t.equal(await exited(child), 0, 'exits 0 after SIGTERM');
  if (ON_POSTGRES) return;
  const db = new Sqlite(path.join(dir, 'data', 'masks.sqlite3'));
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok');
  db.close();
});

t.test('masks backup: a consistent copy of the database and the keys, taken while masks serves', { skip: ON_POSTGRES && 'masks backup copies SQLite; PostgreSQL is backed up with its own tools' }, async (t) => {
  const { makeMasks, clientCredentialsToken } = await import('./helpers/app.js');
  const { readFileSync, statSync } = await import('node:fs');
  const m = await makeMasks(t);
  const issued = await clientCredentialsToken(m.app);
  const env = { MASKS_DATA: path.join(m.dir, 'data'), MASKS_YML: path.join(m.dir, 'masks.yml') };
  const out = path.join(tempDir(t), 'backup');
  const done = masks(m.dir, ['backup', '--to', out], env);
  t.equal(done.code, 0, done.stderr);
  t.match(done.stdout, `backed up the database and keys to ${out}`);
  const copy = new Sqlite(path.join(out, 'masks.sqlite3'), { readonly: true });
  t.teardown(() => copy.close());
  t.equal(copy.pragma('integrity_check', { simple: true }), 'ok');
  t.same(copy.prepare('select id from clients order by id').pluck().all(), (await m.db.column('select id from clients order by id')), 'the clients');
  t.equal(copy.prepare('select count(*) from tokens').pluck().get(), (await m.db.value('select count(*) from tokens')), 'and the tokens issued so far');
  t.ok(issued.access_token);
  for (const file of ['masks.sqlite3', 'private.key', 'secret.key']) t.equal(statSync(path.join(out, file)).mode & 0o777, 0o600, `${file} is readable by its owner only`);
  t.equal(readFileSync(path.join(out, 'private.key'), 'utf8'), readFileSync(m.config.private_key, 'utf8'), 'the signing keys');
  t.equal(readFileSync(path.join(out, 'secret.key'), 'utf8'), readFileSync(path.join(path.dirname(m.config.private_key), 'secret.key'), 'utf8'), 'the installation secret');
  const again = masks(m.dir, ['backup', '--to', out], env);
  t.equal(again.code, 1, 'never over an earlier backup');
  t.match(again.stderr, 'is not empty');
  t.equal(masks(m.dir, ['backup'], env).code, 1, '--to is needed');

  // Restored: masks opens the copy, and what it had issued is still there.
  const restored = await openMasks(loadConfig({ cwd: out, env: { MASKS_DATA: out, MASKS_LOG_LEVEL: 'silent' } }));
  t.teardown(() => restored.close());
  t.ok(await restored.store.tokens.live(issued.access_token, ['access_token'], restored.clock()), 'a token issued before the backup is live in the copy');
});
