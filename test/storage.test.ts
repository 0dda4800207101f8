import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Sqlite from 'better-sqlite3';
import t from 'tap';
import { openDatabase } from '../src/storage/db.js';
import { tempDir } from './helpers/app.js';

t.test('migrations on an empty file create every table, with the pragmas set', async (t) => {
  const file = path.join(tempDir(t), 'nested', 'masks.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  t.ok(existsSync(file));
  t.equal(statSync(file).mode & 0o777, 0o600, 'the database file is private');
  const tables = db.sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name").pluck().all();
  t.same(tables, ['actors', 'clients', 'emails', 'settings', 'signing_keys', 'tokens']);
  t.equal(db.sqlite.pragma('journal_mode', { simple: true }), 'wal');
  t.equal(db.sqlite.pragma('foreign_keys', { simple: true }), 1);
  t.equal(db.sqlite.pragma('synchronous', { simple: true }), 2, 'FULL');
  t.equal(db.sqlite.pragma('busy_timeout', { simple: true }), 5000);
  t.equal(db.sqlite.pragma('integrity_check', { simple: true }), 'ok');
});

t.test('migrating twice is a no-op; skipping leaves the file empty', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.sqlite3');
  openDatabase(file).close();
  const again = openDatabase(file);
  t.equal(again.sqlite.prepare('select count(*) from __drizzle_migrations').pluck().get(), 1);
  again.close();
  const skipped = openDatabase(path.join(dir, 'b.sqlite3'), { migrate: false });
  t.equal(skipped.sqlite.prepare("select count(*) from sqlite_master where type = 'table'").pluck().get(), 0);
  skipped.close();
});

t.test('group commit: writes queued together share one commit and are durable when they resolve', async (t) => {
  const file = path.join(tempDir(t), 'g.sqlite3');
  const db = openDatabase(file);
  t.teardown(() => db.close());
  db.sqlite.exec('create table items (id integer primary key, value text not null unique)');
  const insert = db.sqlite.prepare('insert into items (value) values (?)');
  const before = { ...db.durable.stats };
  const writes = Array.from({ length: 50 }, (_, i) => db.durable.run(() => insert.run(`v${i}`).lastInsertRowid));
  const failing = db.durable.run(() => insert.run('v0')); // unique violation: only this write fails
  const ids = await Promise.all(writes);
  await t.rejects(failing, /UNIQUE constraint failed/);
  t.equal(ids.length, 50);
  t.equal(db.durable.stats.commits - before.commits, 1, 'one commit for the batch');
  t.equal(db.durable.stats.writes - before.writes, 51);
  const other = new Sqlite(file, { readonly: true });
  t.equal(other.prepare('select count(*) from items').pluck().get(), 50, 'visible to another connection once resolved');
  other.close();
});

t.test('foreign keys are enforced', async (t) => {
  const db = openDatabase(path.join(tempDir(t), 'f.sqlite3'));
  t.teardown(() => db.close());
  t.throws(
    () => db.sqlite.prepare("insert into tokens (id, kind, hash, client_id, grant_type, created_at, expires_at) values ('a', 'access_token', 'h', 'missing-client', 'x', 0, 1)").run(),
    /FOREIGN KEY constraint failed/,
  );
});
