/** The store contract on SQLite files. */
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../src/config/load.js';
import { openSqliteStore } from '../../src/storage/sqlite/store.js';
import { tempDir } from '../helpers/app.js';
import { storeContract } from './contract.js';

const defaults = loadConfig({ env: {}, cwd: tempDir(t) }).clients;

storeContract(
  t,
  {
    async open(t, clientDefaults, clock) {
      const file = path.join(tempDir(t), 'store.sqlite3');
      let store = openSqliteStore(file, { clientDefaults, clock });
      t.teardown(() => store.close());
      return {
        store,
        async reopen() {
          await store.close();
          store = openSqliteStore(file, { clientDefaults, clock });
          return store;
        },
      };
    },
  },
  defaults,
);
