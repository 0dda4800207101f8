import { createServer } from 'node:http';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { fetchTransport, InjectBrowser } from '../helpers/browser.js';
import { nginxAvailable, startNginx } from '../helpers/nginx.js';
import { freePort, listen } from '../helpers/server.js';
import { nginxSnippet } from '../../src/manage/snippets.js';

t.test('forward-auth through a real nginx (auth_request) in front of a tiny app', async (t) => {
  if (!nginxAvailable(t)) return;
  const dir = tempDir(t);
  const [nginxPort, appPort] = [await freePort(), await freePort()];
  const running = await listen(t, dir, {
    manager: { password: 'manager-password' },
    seeds: {
      clients: [{ id: 'intranet', name: 'Intranet', client_type: 'internal', redirect_uris: [`http://127.0.0.1:${nginxPort}/`], scopes: { required: ['staff'] } }],
      actors: [
        { nickname: 'alice', email: 'alice@example.com', password: 'alice-password', scopes: ['staff'] },
        { nickname: 'bob', password: 'bob-password-123' },
      ],
    },
  });
  const masksPort = new URL(running.url).port;

  // The app trusts only what nginx tells it.
  const app = createServer((request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' }).end(`Hello ${request.headers['remote-user']} <${request.headers['remote-email']}>`);
  });
  await new Promise<void>((resolve) => app.listen(appPort, '127.0.0.1', resolve));
  t.teardown(() => app.close());

  await startNginx(
    t,
    dir,
    nginxPort,
    `server {
    listen 127.0.0.1:${nginxPort};
    ${nginxSnippet(running.url, { id: 'intranet' }, `http://127.0.0.1:${appPort}`).replace(/^/gm, '    ')}
  }`,
  );

  const site = `http://127.0.0.1:${nginxPort}/`;
  const anonymous = await fetch(site, { redirect: 'manual' });
  t.equal(anonymous.status, 302, 'not signed in: nginx sends the person to masks');
  t.equal(anonymous.headers.get('location'), `http://127.0.0.1:${masksPort}/authorize/intranet?rd=${site}`);

  const signIn = async (who: string, password: string) => {
    const browser = new InjectBrowser(fetchTransport());
    let page = await browser.get(site);
    while (page.statusCode === 302) page = await browser.get(page.headers.location as string);
    const done = await browser.submit(page, { identifier: who, password });
    return { browser, done };
  };

  const alice = await signIn('alice', 'alice-password');
  t.equal(alice.done.statusCode, 303);
  t.equal(alice.done.headers.location, site, 'back to the app');
  const greeted = await alice.browser.get(site);
  t.equal(greeted.statusCode, 200);
  t.equal(greeted.body, 'Hello alice <alice@example.com>', 'the app sees who nginx let in');

  const bob = await signIn('bob', 'bob-password-123');
  t.equal(bob.done.statusCode, 403, 'masks denies bob: he lacks staff');
  t.equal((await bob.browser.get(site)).statusCode, 302, 'and nginx still sends him to sign in');

  const forged = await fetch(site, { redirect: 'manual', headers: { 'remote-user': 'admin', cookie: 'masks_internal=forged' } });
  t.equal(forged.status, 302, 'a forged header or cookie gets nobody in');
});
