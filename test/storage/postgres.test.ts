/** The store contract on PostgreSQL (skipped without MASKS_TEST_PG_URL; CI always has one). */
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { openPgStore } from '../../src/storage/postgres/store.js';
import { tempDir } from '../helpers/app.js';
import { freshSchemaUrl, noPostgres } from '../helpers/postgres.js';
import { storeContract } from './contract.js';

const defaults = loadConfig({ env: {}, cwd: tempDir(t) }).clients;

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
