/** The store contract on PostgreSQL (skipped without MASKS_TEST_PG_URL; CI always has one). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import type { NewToken } from '../../src/model.js';
import { PG_MIGRATIONS_DIR } from '../../src/paths.js';
import { openPgStore } from '../../src/storage/postgres/store.js';
import type { Store } from '../../src/storage/store.js';
import { tempDir } from '../helpers/app.js';
import { admin, freshSchemaUrl, noPostgres, PG_URL } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

const defaults = loadConfig({ env: {}, cwd: tempDir(t) }).clients;
const journalLength = (folder: string) => (JSON.parse(readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: unknown[] }).entries.length;

t.test('the store contract on PostgreSQL', { skip: noPostgres }, async (t) => {
  storeContract(
    t,
    {
      async open(t, clientDefaults, clock) {
        const url = freshSchemaUrl(t);
        let store = await openPgStore(url, { clientDefaults, clock });
        t.teardown(() => store.close());
        return {
          store,
          async reopen() {
            await store.close();
            store = await openPgStore(url, { clientDefaults, clock });
            return store;
          },
        };
      },
    },
    defaults,
  );
});

t.test('nodes booting together on an empty database migrate it once; a sweep runs on one node at a time', { skip: noPostgres }, async (t) => {
  const url = freshSchemaUrl(t);
  const clock = () => 1_800_000_000;
  const stores = await Promise.all(Array.from({ length: 4 }, () => openPgStore(url, { clientDefaults: defaults, clock })));
  t.teardown(() => Promise.all(stores.map((store) => store.close())));
  const schema = new URL(url).searchParams.get('schema')!;
  const [row] = await admin<{ applied: number }>(`select count(*)::int as applied from ${schema}.masks_migrations`);
  const applied = row?.applied;
  t.equal(applied, journalLength(PG_MIGRATIONS_DIR), 'each migration applied once, by whichever node came first');
  await Promise.all(stores.map((store) => store.ping()));

  const [store] = stores as [Store];
  await store.clients.save({ id: 'web', name: 'Web', secretHash: null, redirectUris: [], postLogoutRedirectUris: [], overrides: {}, seeded: false });
  await store.tokens.insert({ kind: 'access_token', id: 'a', hash: 'expired', clientId: 'web', actorId: null, grantId: null, grantType: 'client_credentials', scope: '', format: 'opaque', sub: null, sid: null, createdAt: 1, expiresAt: 2 } as NewToken);
  const sweep = { now: clock(), before: clock(), devicesBefore: 0, eventsBefore: 0 };
  // Another node holds the sweep's lock: this one skips, deleting nothing.
  const holder = new pg.Client({ connectionString: PG_URL });
  await holder.connect();
  t.teardown(() => holder.end());
  const lock = [0x6d61736b, schema, 2];
  await holder.query('select pg_advisory_lock($1, hashtext($2::text || $3::text))', lock);
  t.equal(await store.sweep(sweep), 0, 'skipped while another node sweeps');
  t.ok(await store.tokens.findByHash('expired'), 'nothing deleted by the skipped sweep');
  await holder.query('select pg_advisory_unlock($1, hashtext($2::text || $3::text))', lock);
  t.equal(await store.sweep(sweep), 1, 'swept once the other is done');
  t.equal(await store.tokens.findByHash('expired'), undefined);
});
