import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { startRelyingParty } from '../helpers/relying_party.js';
import { freePort, listen } from '../helpers/server.js';

const WEB_SECRET = 'web-secret-that-is-at-least-32-characters';

t.test('a person signs in through Chromium: confidential, public (SSO), internal, logout, blocked device', async (t) => {
  if (!chromiumAvailable(t)) return;
  const [webPort, spaPort] = [await freePort(), await freePort()];
  const running = await listen(t, tempDir(t), {
    manager: { password: 'manager-password' },
    seeds: {
      clients: [
        { id: 'web', name: 'Web App', client_type: 'confidential', secret: WEB_SECRET, redirect_uris: [`http://127.0.0.1:${webPort}/cb`], checks: ['device', 'credentials', 'client-consent'], scopes: { allowed: ['openid', 'profile', 'email'] }, bg_light: '#fdf6e3' },
        { id: 'spa', name: 'Single Page', client_type: 'public', redirect_uris: [`http://127.0.0.1:${spaPort}/cb`], scopes: { allowed: ['openid', 'profile'] } },
        { id: 'intranet', name: 'Intranet', client_type: 'internal', redirect_uris: ['/session'] },
      ],
      actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password' }],
    },
  });
  const web = await startRelyingParty(t, { port: webPort, issuer: running.url, clientId: 'web', secret: WEB_SECRET, scope: 'openid profile email' });
  const spa = await startRelyingParty(t, { port: spaPort, issuer: running.url, clientId: 'spa' });
  const browser = await launchChromium(t);
  const page = await browser.newPage();

  await page.goto(`${web.url}/login`);
  t.equal(await page.locator('h1').textContent(), 'Sign in to Web App');
  await page.getByLabel('Email or nickname').fill('alice');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByLabel('Password').press('Enter');
  t.match(await page.locator('[role=alert]').textContent(), 'do not match', 'wrong password');
  t.equal(await page.getByLabel('Email or nickname').inputValue(), 'alice', 'the identifier is kept');

  await page.getByLabel('Password').fill('alice-password');
  await page.getByLabel('Password').press('Enter');
  t.equal(await page.locator('h1').textContent(), 'Allow Web App?');
  t.match(await page.locator('ul.scopes').textContent(), /See your email address/);
  if (process.env.MASKS_SCREENSHOTS) await page.screenshot({ path: `${process.env.MASKS_SCREENSHOTS}/consent.png` });
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(`${web.url}/cb**`);
  t.equal(await page.locator('h1').textContent(), 'Hello alice', 'signed in to the confidential client');

  await page.goto(`${spa.url}/login`);
  await page.waitForURL(`${spa.url}/cb**`);
  t.equal(await page.locator('h1').textContent(), 'Hello alice', 'single sign-on to the public client, no form');

  await page.goto(`${running.url}/authorize/intranet?rd=/session`);
  await page.waitForURL(`${running.url}/session`);
  t.match(JSON.parse((await page.locator('body').textContent())!), { signed_in: true, nickname: 'alice', client_id: 'intranet' }, 'the internal client sees who is signed in');

  await page.goto(`${running.url}/logout`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  t.equal(await page.locator('h1').textContent(), 'Signed out');
  const session = await page.goto(`${running.url}/session`);
  t.equal(session?.status(), 401, 'signed out server-side');
  await page.goto(`${web.url}/login`);
  t.equal(await page.locator('h1').textContent(), 'Sign in to Web App', 'asks again after logout');

  const device = (await page.context().cookies()).find((c) => c.name === 'masks_device')!;
  t.equal(device.httpOnly, true);
  t.equal(device.sameSite, 'Lax');
  await running.masks.store.signIns.blockDevice(device.value.split('.')[0]!, running.masks.clock());
  await page.goto(`${web.url}/login`);
  t.equal(await page.locator('h1').textContent(), 'This device is blocked');
});

t.test('pages work without JavaScript and deny is reported to the app', async (t) => {
  if (!chromiumAvailable(t)) return;
  const port = await freePort();
  const running = await listen(t, tempDir(t), {
    manager: { password: 'manager-password' },
    seeds: {
      clients: [{ id: 'web', name: 'Web App', client_type: 'confidential', secret: WEB_SECRET, redirect_uris: [`http://127.0.0.1:${port}/cb`], checks: ['device', 'credentials', 'client-consent'], scopes: { allowed: ['openid', 'profile'] } }],
      actors: [{ nickname: 'alice', password: 'alice-password' }],
    },
  });
  const web = await startRelyingParty(t, { port, issuer: running.url, clientId: 'web', secret: WEB_SECRET });
  const browser = await launchChromium(t);
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${web.url}/login`);
  await page.getByLabel('Email or nickname').fill('alice');
  await page.getByLabel('Password').fill('alice-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await page.waitForURL(`${web.url}/cb**`);
  t.equal(await page.locator('h1').textContent(), 'Error: access_denied');
});
