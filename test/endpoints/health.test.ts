/** /up says the process is alive; /ready says whether the database answers, quickly, and recovers by itself. */
import t from 'tap';
import { makeMasks } from '../helpers/app.js';

t.test('/up and /ready', async (t) => {
  const { app, masks } = await makeMasks(t);
  t.same((await app.inject('/up')).json(), { status: 'ok' });
  const ready = await app.inject('/ready');
  t.equal(ready.statusCode, 200);
  t.equal(ready.headers['cache-control'], 'no-store');

  const ping = masks.store.ping;
  masks.store.ping = () => Promise.reject(new Error('connection refused'));
  const down = await app.inject('/ready');
  t.equal(down.statusCode, 503, 'the database refuses: not ready');
  t.equal(down.headers['retry-after'], '1');
  t.equal((await app.inject('/up')).statusCode, 200, 'but alive');

  masks.store.ping = () => new Promise(() => {});
  t.equal((await app.inject('/ready')).statusCode, 503, 'the database hangs: not ready either, without waiting for it');

  masks.store.ping = ping;
  t.equal((await app.inject('/ready')).statusCode, 200, 'ready again once it answers');
});
