import { closeSync, copyFileSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { openDatabase } from '../../src/storage/sqlite/db.js';
import { CHECKPOINT_WITHIN_MS, DurableWriter, SYNC_WITHIN_MS, type Log } from '../../src/storage/sqlite/durable.js';
import { waitsForDisk } from '../../src/storage/sqlite/writes.js';
import { MIGRATIONS_DIR } from '../../src/paths.js';
import { tempDir } from '../helpers/app.js';

t.test('migrations on an empty file create every table, with the pragmas set', async (t) => {
  const file = path.join(tempDir(t), 'nested', 'masks.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  t.ok(existsSync(file));
  t.equal(statSync(file).mode & 0o777, 0o600, 'the database file is private');
  const tables = db.sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name").pluck().all();
  t.same(tables, ['actors', 'attempts', 'authenticators', 'backup_codes', 'challenges', 'clients', 'consents', 'devices', 'emails', 'events', 'factors', 'login_links', 'sessions', 'settings', 'signing_keys', 'tokens']);
  t.equal(db.sqlite.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.sqlite.pragma('foreign_keys', { simple: true }), 1);
  t.equal(db.sqlite.pragma('synchronous', { simple: true }), 1, 'NORMAL: commits do not wait for the disk, the DurableWriter syncs the log');
  t.equal(db.sqlite.pragma('wal_autocheckpoint', { simple: true }), 0, 'checkpoints are the checkpointer thread\'s');
  t.equal(db.sqlite.pragma('busy_timeout', { simple: true }), 0, 'the serving connection never waits for a lock: commits retry from a timer');
  t.equal(db.sqlite.pragma('integrity_check', { simple: true }), 'ok');
});

t.test('migrating twice is a no-op; skipping leaves the file empty', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.sqlite3');
  await openDatabase(file).close();
  const again = openDatabase(file);
  t.equal(again.sqlite.prepare('select count(*) from __drizzle_migrations').pluck().get(), JSON.parse(readFileSync(path.join(MIGRATIONS_DIR, 'meta', '_journal.json'), 'utf8')).entries.length, 'each migration once');
  await again.close();
  t.throws(() => openDatabase(path.join(dir, 'b.sqlite3'), { migrate: false }), /needs migrating \(0 of \d+ migrations applied\)/, 'skipping on a database that is behind says so');
  const empty = new Sqlite(path.join(dir, 'b.sqlite3'), { readonly: true });
  t.equal(empty.prepare("select count(*) from sqlite_master where type = 'table'").pluck().get(), 0, 'and leaves the file empty');
  empty.close();
  const current = openDatabase(file, { migrate: false });
  t.ok(current.sqlite.prepare("select count(*) from sqlite_master where name = 'tokens'").pluck().get(), 'a database that is up to date opens without migrating');
  await current.close();
});

t.test('group commit: writes of one tick are one transaction, and done once on disk', async (t) => {
  const file = path.join(tempDir(t), 'g.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  db.sqlite.prepare("insert into clients (id, name, created_at, updated_at) values ('c', 'C', 1, 1)").run();
  const token = (hash: string) => ({
    id: `id-${hash}`,
    kind: 'access_token' as const,
    hash,
    clientId: 'c',
    actorId: null,
    grantId: 'g',
    grantType: 'client_credentials',
    scope: '',
    format: 'opaque' as const,
    sub: 'c',
    sid: null,
    createdAt: 1,
    expiresAt: 2,
  });
  const before = { ...db.durable.stats };
  const writes = Array.from({ length: 50 }, (_, i) => db.durable.run('insertToken', token(`h${i}`)));
  const failing = db.durable.run('insertToken', { ...token('h0'), id: 'other' }); // duplicate hash: only this write fails
  await Promise.all(writes);
  await t.rejects(failing, /UNIQUE constraint failed/);
  t.equal(db.durable.stats.batches - before.batches, 1, 'one batch, one transaction');
  t.equal(db.durable.stats.writes - before.writes, 51);
  const other = new Sqlite(file, { readonly: true });
  t.equal(other.prepare('select count(*) from tokens').pluck().get(), 50, 'visible to another connection once resolved');
  t.equal(other.prepare("select sub from tokens where hash = 'h1'").pluck().get(), 'c');
  other.close();
  t.equal(await db.durable.run('revokeGrant', { grantId: 'g', now: 5 }), 50);
  t.equal(await db.durable.run('revokeToken', { hash: 'h1', now: 6 }), false, 'already revoked');
});

t.test('an audit event rides along with the next write, or goes on its own within a moment; a closing writer sends it', async (t) => {
  const file = path.join(tempDir(t), 'r.sqlite3');
  const db = openDatabase(file);
  db.sqlite.prepare("insert into clients (id, name, created_at, updated_at) values ('c', 'C', 1, 1)").run();
  const event = (type: string) => ({ at: 1, type, actorId: null, clientId: 'c', by: 'masks', ip: null, detail: {} });
  const count = () => db.sqlite.prepare('select count(*) from events').pluck().get();
  let before = db.durable.stats.batches;
  const alone = db.durable.run('appendEvent', event('alone'), { rideAlong: true });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(db.durable.stats.batches, before, 'not sent at the end of its tick');
  await alone;
  t.equal(db.durable.stats.batches - before, 1, 'but on its own a moment later');
  t.equal(count(), 1, 'and stored');
  before = db.durable.stats.batches;
  const riding = db.durable.run('appendEvent', event('riding'), { rideAlong: true });
  await new Promise((resolve) => setTimeout(resolve, 5));
  await db.durable.run('setSetting', { key: 'k', value: 1, now: 1 });
  await riding;
  t.equal(db.durable.stats.batches - before, 1, 'with the next write: one batch for both');
  t.equal(count(), 2);
  const last = db.durable.run('appendEvent', event('last'), { rideAlong: true });
  await db.close();
  await last;
  const other = new Sqlite(file, { readonly: true });
  t.same(other.prepare('select type from events order by id').pluck().all(), ['alone', 'riding', 'last'], 'closing sends what waits');
  other.close();
});

/** A log whose syncs the test finishes (or fails) by hand. */
function handLog() {
  const syncs: Array<{ done: () => void; fail: (error: Error) => void }> = [];
  const log: Log = {
    sync: () => new Promise<void>((done, fail) => syncs.push({ done, fail })),
    close: async () => {},
  };
  return { log, syncs };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));
const state = <T>(promise: Promise<T>) => Promise.race([promise.then(() => 'done', () => 'failed'), tick().then(() => 'waiting')]);
const setting = (key: string) => ({ key, value: 1, now: 1 });
const event = { at: 1, type: 'x', actorId: null, clientId: null, by: 'masks', ip: null, detail: {} };

t.test('a write is done once a sync that began after its commit has finished; one sync serves all before it', async (t) => {
  const { sqlite } = openDatabase(':memory:');
  t.teardown(() => sqlite.close());
  const { log, syncs } = handLog();
  const writer = new DurableWriter(sqlite, log, undefined);
  const value = (key: string) => sqlite.prepare('select value from settings where key = ?').pluck().get(key);

  const first = writer.run('setSetting', setting('a'));
  const second = writer.run('setSetting', setting('b'));
  await tick();
  t.equal(syncs.length, 1, 'the writes of one turn: one commit, one sync');
  t.equal(value('a'), '1', 'committed, so reads see it');
  t.equal(await state(first), 'waiting', 'but not done before the log is on disk');
  const third = writer.run('setSetting', setting('c'));
  await tick();
  t.equal(syncs.length, 1, 'committed while a sync runs: waits for the next');
  syncs[0]!.done();
  await first;
  await second;
  t.equal(await state(third), 'waiting', 'the sync that began before its commit does not cover it');
  t.equal(syncs.length, 2, 'the next sync begins when the last ends');
  syncs[1]!.done();
  await third;

  const failing = writer.run('setSetting', setting('d'));
  await tick();
  syncs[2]!.fail(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await t.rejects(failing, { name: 'StoreUnavailable', message: /EIO/ }, 'a failed sync fails the writes that waited for it (503)');
  // The kernel may have dropped what it could not write and report the next sync as fine.
  await t.rejects(writer.run('setSetting', setting('e')), { name: 'StoreUnavailable' }, 'and every write after it, until masks restarts');
  t.equal(syncs.length, 3, 'with no sync to trust');
});

t.test('a database opened through a symbolic link syncs the log SQLite writes (beside the file the link points to)', async (t) => {
  const { symlinkSync, mkdirSync } = await import('node:fs');
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'disk'));
  const real = path.join(dir, 'disk', 'masks.sqlite3');
  openDatabase(real).sqlite.close();
  symlinkSync(real, path.join(dir, 'masks.sqlite3'));
  const db = openDatabase(path.join(dir, 'masks.sqlite3'));
  t.teardown(() => db.close());
  await db.durable.run('setSetting', setting('k'));
  t.ok(existsSync(`${real}-wal`) && !existsSync(path.join(dir, 'masks.sqlite3-wal')), 'the log is beside the real file');
});

t.test('closing while another process holds the write lock commits what is queued once it is free', async (t) => {
  const file = path.join(tempDir(t), 'cb.sqlite3');
  const db = openDatabase(file);
  const cli = new Sqlite(file);
  cli.exec('begin immediate');
  const write = db.durable.run('setSetting', setting('k'));
  setTimeout(() => {
    cli.exec('commit');
    cli.close();
  }, 100);
  await db.close();
  await write;
  const other = new Sqlite(file, { readonly: true });
  t.equal(other.prepare("select value from settings where key = 'k'").pluck().get(), '1', 'written before the file closed');
  other.close();
});

t.test('the sweep runs beside the event loop, in short transactions', async (t) => {
  const file = path.join(tempDir(t), 'sw.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  db.sqlite.prepare("insert into clients (id, name, created_at, updated_at) values ('c', 'C', 1, 1)").run();
  const insert = db.sqlite.prepare("insert into tokens (id, kind, hash, client_id, grant_type, created_at, expires_at) values (?, 'access_token', ?, 'c', 'x', 1, ?)");
  db.sqlite.transaction(() => {
    for (let i = 0; i < 30_000; i++) insert.run(`t${i}`, `h${i}`, i < 25_000 ? 10 : 1e12);
  })();
  let timers = 0;
  const ticking = setInterval(() => timers++, 2);
  const before = timers;
  const swept = db.durable.sweep({ now: 100, before: 100, devicesBefore: 0, eventsBefore: 0 });
  const write = db.durable.run('setSetting', setting('during'));
  t.equal(await swept, 25_000, 'every expired token went');
  await write;
  clearInterval(ticking);
  t.ok(timers > before, 'timers fired meanwhile');
  t.equal(db.sqlite.prepare('select count(*) from tokens').pluck().get(), 5000, 'the live ones stayed');
});

t.test('writes that promise nothing are done once committed, and synced within SYNC_WITHIN_MS', async (t) => {
  const { sqlite } = openDatabase(':memory:');
  t.teardown(() => sqlite.close());
  const { log, syncs } = handLog();
  const writer = new DurableWriter(sqlite, log, undefined);
  await writer.run('appendEvent', event);
  t.equal(syncs.length, 0, 'an audit event is done without waiting for the disk');
  await new Promise((resolve) => setTimeout(resolve, SYNC_WITHIN_MS + 200));
  t.equal(syncs.length, 1, 'a sync comes within SYNC_WITHIN_MS all the same');
  syncs[0]!.done();
});

/** A database whose write lock a second connection (as the CLI would) holds until the test lets go. */
function lockedByAnotherProcess(t: Parameters<typeof tempDir>[0]) {
  const file = path.join(tempDir(t), 'locked.sqlite3');
  const db = openDatabase(file);
  const cli = new Sqlite(file);
  cli.exec('begin immediate');
  t.teardown(() => db.close());
  // Teardowns run last first: the lock is let go (a test that stopped early still holds it) before masks' side closes.
  t.teardown(() => {
    if (cli.open) cli.close();
  });
  return { db, cli };
}

t.test('another process holding the write lock does not stall the event loop; the batch commits once it is free', async (t) => {
  const { db, cli } = lockedByAnotherProcess(t);
  const write = db.durable.run('setSetting', setting('k'));
  let timers = 0;
  const ticking = setInterval(() => timers++, 5);
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.ok(timers >= 10, `timers kept firing while the lock was held (${timers})`);
  t.equal(await state(write), 'waiting', 'the write waits');
  cli.exec('commit');
  cli.close();
  await write;
  clearInterval(ticking);
  t.equal(db.sqlite.prepare("select value from settings where key = 'k'").pluck().get(), '1');
});

t.test('a write lock held past the retry window answers Busy (503), not a driver error', async (t) => {
  const { db, cli } = lockedByAnotherProcess(t);
  const started = performance.now();
  await t.rejects(db.durable.run('setSetting', setting('k')), { name: 'Busy' });
  t.ok(performance.now() - started >= 4900, 'after trying for 5 s');
  cli.exec('rollback');
  cli.close();
  await db.durable.run('setSetting', setting('k'));
  t.equal(db.sqlite.prepare("select value from settings where key = 'k'").pluck().get(), '1', 'and the next write goes through');
});

t.test('the checkpointer copies the log into the database file within CHECKPOINT_WITHIN_MS of a commit', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 's.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  db.sqlite.pragma('wal_checkpoint(TRUNCATE)'); // the tables into the database file, the log empty
  await db.durable.run('appendEvent', event);
  // The database file alone (without its log) holds what has been checkpointed.
  const inDatabaseFile = (name: string) => {
    copyFileSync(file, path.join(dir, name));
    const copy = new Sqlite(path.join(dir, name), { readonly: true });
    const count = copy.prepare('select count(*) from events').pluck().get();
    copy.close();
    return count;
  };
  t.equal(inDatabaseFile('before.sqlite3'), 0, 'at first the event is only in the log');
  const asked = performance.now();
  // The checkpointer thread starts when first asked (here it boots TypeScript first, so it is given time).
  while (inDatabaseFile('after.sqlite3') === 0 && performance.now() - asked < CHECKPOINT_WITHIN_MS + 5000) await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(inDatabaseFile('after.sqlite3'), 1, 'a moment later it was checkpointed without another write');
});

t.test('under writes as fast as they come, the log is still started over', async (t) => {
  const file = path.join(tempDir(t), 'w.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  const detail = { padding: 'x'.repeat(2000) };
  // The log's header counts the times it was started over (its checkpoint sequence).
  const restarts = () => {
    const header = Buffer.alloc(16);
    const fd = openSync(`${file}-wal`, 'r');
    readSync(fd, header, 0, 16, 0);
    closeSync(fd);
    return header.readUInt32BE(12);
  };
  await db.durable.run('appendEvent', event);
  const before = restarts();
  const until = performance.now() + 5 * CHECKPOINT_WITHIN_MS;
  while (performance.now() < until) await Promise.all(Array.from({ length: 5 }, () => db.durable.run('appendEvent', { ...event, detail })));
  t.ok(restarts() > before, `started over ${restarts() - before} times in ${5 * CHECKPOINT_WITHIN_MS} ms of writes without a pause`);
});

t.test('a reader left open on an old snapshot does not hold writes off', async (t) => {
  const file = path.join(tempDir(t), 'lr.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  const detail = { padding: 'x'.repeat(2000) };
  await db.durable.run('appendEvent', event);
  const reader = new Sqlite(file, { readonly: true });
  reader.exec('begin');
  reader.prepare('select count(*) from events').pluck().get(); // an export, an operator's shell
  let slowest = 0;
  const until = performance.now() + 4 * CHECKPOINT_WITHIN_MS;
  while (performance.now() < until) {
    const started = performance.now();
    await Promise.all(Array.from({ length: 5 }, () => db.durable.run('appendEvent', { ...event, detail })));
    slowest = Math.max(slowest, performance.now() - started);
  }
  reader.exec('commit');
  reader.close();
  t.ok(slowest < 1000, `the slowest batch took ${slowest.toFixed(0)} ms while the log outgrew its limit`);
});

t.test('which writes wait for the disk', async (t) => {
  const attempt = { attemptId: 'a', now: 1 };
  const create = { ...attempt, create: { id: 'a', clientId: 'c', deviceId: 'd', actorId: null, request: { clientId: 'c', redirectUri: 'x', scope: [], prompt: [] }, createdAt: 1, expiresAt: 2 } };
  t.notOk(waitsForDisk({ op: 'advanceAttempt', args: create }), 'a new attempt: lost in a power cut, the person starts again');
  t.ok(waitsForDisk({ op: 'advanceAttempt', args: { ...create, actorId: 'x' } }), 'a new attempt that binds someone');
  t.ok(waitsForDisk({ op: 'advanceAttempt', args: { ...attempt, passed: { factor: 'password', device: { id: 'd', userAgent: '', ip: '' } } } }), 'a step of an attempt');
  t.ok(waitsForDisk({ op: 'redeemCode', args: { hash: 'h', clientId: 'c', now: 1, tokens: [] } }), 'a code redeemed');
  t.notOk(waitsForDisk({ op: 'appendEvent', args: {} }), 'an audit event');
});

t.test('closing waits for queued writes', async (t) => {
  const file = path.join(tempDir(t), 'c.sqlite3');
  const db = openDatabase(file);
  db.sqlite.prepare("insert into clients (id, name, created_at, updated_at) values ('c', 'C', 1, 1)").run();
  const write = db.durable.run('insertToken', {
    id: 'late', kind: 'access_token', hash: 'late', clientId: 'c', actorId: null, grantId: null, grantType: 'x', scope: '', format: 'opaque', sub: null, sid: null, createdAt: 1, expiresAt: 2,
  });
  await db.close();
  await write;
  const other = new Sqlite(file, { readonly: true });
  t.equal(other.prepare('select count(*) from tokens').pluck().get(), 1);
  other.close();
  await t.rejects(db.durable.run('revokeToken', { hash: 'late', now: 1 }), /closed/);
});

t.test('foreign keys are enforced', async (t) => {
  const db = openDatabase(path.join(tempDir(t), 'f.sqlite3'));
  t.teardown(() => db.close());
  t.throws(
    () => db.sqlite.prepare("insert into tokens (id, kind, hash, client_id, grant_type, created_at, expires_at) values ('a', 'access_token', 'h', 'missing-client', 'x', 0, 1)").run(),
    /FOREIGN KEY constraint failed/,
  );
});

t.test('upgrading an installation keeps every row: table rebuilds do not cascade into their children', async (t) => {
  const { cpSync, writeFileSync } = await import('node:fs');
  const dir = tempDir(t);
  const older = path.join(dir, 'migrations');
  cpSync(MIGRATIONS_DIR, older, { recursive: true });
  const journal = JSON.parse(readFileSync(path.join(older, 'meta', '_journal.json'), 'utf8'));
  const before = journal.entries.findIndex((e: { tag: string }) => e.tag === '0003_attempt_factors_and_steps');
  t.ok(before > 0, 'upgrading from before the attempt and store migrations');
  writeFileSync(path.join(older, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, before) }));
  const file = path.join(dir, 'old.sqlite3');
  const old = openDatabase(file, { migrationsFolder: older });
  old.sqlite.exec(`
    insert into clients (id, name) values ('web', 'Web');
    insert into actors (id, public_uuid, nickname) values ('a1', 'u1', 'alice');
    insert into emails (actor_id, address) values ('a1', 'alice@example.com');
    insert into tokens (id, kind, hash, client_id, actor_id, grant_type, data, created_at, expires_at) values ('t1', 'refresh_token', 'h1', 'web', 'a1', 'x', '{"sub":"s","sid":"s1"}', 1, 2);
    insert into devices (id, created_at, last_seen_at) values ('d1', 1, 1);
    insert into sessions (hash, id, actor_id, device_id, auth_time, created_at, last_seen_at, expires_at) values ('sh', 's1', 'a1', 'd1', 1, 1, 1, 2);
    insert into consents (actor_id, client_id, scopes, granted_at) values ('a1', 'web', '[]', 1);
    insert into factors (actor_id, device_id, kind, client_id, passed_at) values ('a1', 'd1', 'pwd', 'web', 1);
    insert into attempts (id, client_id, device_id, actor_id, request, passed, created_at, expires_at) values ('at1', 'web', 'd1', 'a1', '{}', '["pwd","consent"]', 7, 99);
    insert into attempts (id, client_id, device_id, actor_id, request, passed, created_at, expires_at) values ('at2', 'web', 'd1', null, '{}', '[]', 8, 99);
  `);
  await old.close();
  const upgraded = openDatabase(file);
  t.teardown(() => upgraded.close());
  for (const table of ['clients', 'actors', 'emails', 'tokens', 'sessions', 'consents', 'factors']) {
    t.equal(upgraded.sqlite.prepare(`select count(*) from ${table}`).pluck().get(), 1, `${table} kept`);
  }
  t.same(upgraded.sqlite.prepare("select sub, sid from tokens where id = 't1'").get(), { sub: 's', sid: 's1' }, 'tokens issued before keep their subject and session');
  t.same(upgraded.sqlite.prepare("select id, passed, steps from attempts order by id").all(), [
    { id: 'at1', passed: '[{"factor":"password","at":7}]', steps: '["consent"]' },
    { id: 'at2', passed: '[]', steps: '[]' },
  ], 'sign-ins in flight carry on: their password and consent are kept');
  t.equal(upgraded.sqlite.prepare("select kind from factors").pluck().get(), 'password', 'remembered factors are named by kind');
  t.same(upgraded.sqlite.prepare('select revision, disabled_at from actors').get(), { revision: 1, disabled_at: null }, 'actors from before are enabled, at their first revision');
  t.same(upgraded.sqlite.prepare('select revision, previous_secret_hash from clients').get(), { revision: 1, previous_secret_hash: null }, 'clients too');
  t.equal(upgraded.sqlite.pragma('foreign_keys', { simple: true }), 1, 'foreign keys on again');
  t.equal(upgraded.sqlite.pragma('integrity_check', { simple: true }), 'ok');
});

t.test('upgrading to WebAuthn keeps the authenticators set up before (their table is rebuilt)', async (t) => {
  const { cpSync, writeFileSync } = await import('node:fs');
  const dir = tempDir(t);
  const older = path.join(dir, 'migrations');
  cpSync(MIGRATIONS_DIR, older, { recursive: true });
  const journal = JSON.parse(readFileSync(path.join(older, 'meta', '_journal.json'), 'utf8'));
  const before = journal.entries.findIndex((e: { tag: string }) => e.tag === '0009_webauthn');
  t.ok(before > 0);
  writeFileSync(path.join(older, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: journal.entries.slice(0, before) }));
  const file = path.join(dir, 'old.sqlite3');
  const old = openDatabase(file, { migrationsFolder: older });
  old.sqlite.exec(`
    insert into actors (id, public_uuid, nickname, created_at, updated_at) values ('a1', 'u1', 'alice', 1, 1);
    insert into authenticators (id, actor_id, kind, name, secret, last_step, created_at) values ('au1', 'a1', 'totp', 'Phone', 'v1.sealed', 42, 1);
    insert into backup_codes (actor_id, hash, created_at) values ('a1', 'h1', 1);
  `);
  await old.close();
  const upgraded = openDatabase(file);
  t.teardown(() => upgraded.close());
  t.match(upgraded.sqlite.prepare("select * from authenticators where id = 'au1'").get(), { kind: 'totp', name: 'Phone', secret: 'v1.sealed', last_step: 42, credential_id: null, counter: 0, transports: '[]' });
  t.equal(upgraded.sqlite.prepare('select count(*) from backup_codes').pluck().get(), 1, 'backup codes kept');
  t.equal(upgraded.sqlite.pragma('integrity_check', { simple: true }), 'ok');
  t.same(upgraded.sqlite.pragma('foreign_key_check'), []);
});
