/** Anonymous traffic leaves nothing behind for good: no device rows, and attempts swept once expired. */
import t from 'tap';
import { sweep } from '../../src/context.js';
import type { TestMasks } from '../helpers/app.js';
import { InjectBrowser } from '../helpers/browser.js';
import { authorizeUrl, flowMasks, open, OTHER, signIn } from './setup.js';

const count = (test: TestMasks, table: string) => test.db.value(`select count(*) from ${table}`);

t.test('cookie-less GET /authorize writes no device row, and its attempt is swept once expired', async (t) => {
  const test = await flowMasks(t);
  const { app, masks, clock } = test;
  for (let i = 0; i < 50; i++) t.equal((await app.inject(authorizeUrl(OTHER))).statusCode, 302);
  t.equal(await count(test, 'devices'), 0, 'no device rows for anonymous requests');
  t.equal(await count(test, 'attempts'), 50, 'attempts live while they may be used');
  clock.advance(masks.config.clients.auth_attempt_expires_in + 1);
  await sweep(masks);
  t.equal(await count(test, 'attempts'), 0, 'expired attempts are swept at once');
});

t.test('devices no one has used for lifetimes.device are swept; blocked ones are kept', async (t) => {
  const test = await flowMasks(t);
  const { app, masks, clock } = test;
  const used = new InjectBrowser(app);
  await signIn(used, await open(used, authorizeUrl(OTHER)));
  const blocked = new InjectBrowser(app);
  await signIn(blocked, await open(blocked, authorizeUrl(OTHER)));
  await masks.store.signIns.blockDevice(blocked.cookies.get('masks_device')!.split('.')[0]!, clock.now);
  t.equal(await count(test, 'devices'), 2);
  clock.advance(masks.config.lifetimes.device - 10);
  await sweep(masks);
  t.equal(await count(test, 'devices'), 2, 'within lifetimes.device');
  clock.advance(20);
  await sweep(masks);
  t.equal(await count(test, 'devices'), 1, 'the unused device went; the blocked one stays blocked');
});
