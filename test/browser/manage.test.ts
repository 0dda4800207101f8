/** A manager in Chromium: signs in at /manage, creates a confidential client, copies its secret once; an app then signs a person in with it; the events show it all. */
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { startRelyingParty } from '../helpers/relying_party.js';
import { freePort, listen } from '../helpers/server.js';

t.test('a manager creates a client at /manage and an app signs in with it', async (t) => {
  if (!chromiumAvailable(t)) return;
  const appPort = await freePort();
  const running = await listen(t, tempDir(t), {
    manager: { password: 'manager-password' },
    seeds: { actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password' }] },
  });
  const browser = await launchChromium(t);
  const page = await browser.newPage();

  await page.goto(`${running.url}/manage`);
  t.match(await page.locator('h1').textContent(), /^Sign in to/, '/manage asks who is there');
  await page.getByLabel('Email or nickname').fill('manager');
  await page.getByLabel('Password').fill('manager-password');
  await page.getByLabel('Password').press('Enter');
  await page.waitForURL(`${running.url}/manage`);
  t.equal(await page.locator('h1').textContent(), 'Clients', 'back at /manage, signed in');

  await page.getByLabel('Client ID').fill('crm');
  await page.getByLabel('Name').fill('CRM');
  await page.getByLabel('Type').selectOption('confidential');
  await page.getByLabel('Redirect URIs (one per line)').fill(`http://127.0.0.1:${appPort}/cb`);
  await page.getByLabel('Allowed scopes (space separated)').fill('openid profile email');
  await page.getByRole('button', { name: 'Create client' }).click();
  t.equal(await page.locator('h1').textContent(), 'CRM');
  const secret = await page.getByLabel('Client secret').inputValue();
  t.equal(secret.length, 43, 'the secret is shown once, to copy');
  t.match(await page.locator('#snippet').textContent(), `client_id: crm`);
  t.match(await page.locator('#snippet').textContent(), `${running.url}/.well-known/openid-configuration`);

  await page.goto(`${running.url}/manage/clients/crm`);
  t.notOk((await page.content()).includes(secret), 'never shown again');

  // The app, configured with what the page gave, signs alice in (consent included: the form asked for it).
  const app = await startRelyingParty(t, { port: appPort, issuer: running.url, clientId: 'crm', secret, scope: 'openid profile' });
  const person = await (await browser.newContext()).newPage();
  await person.goto(`${app.url}/login`);
  await person.getByLabel('Email or nickname').fill('alice');
  await person.getByLabel('Password').fill('alice-password');
  await person.getByLabel('Password').press('Enter');
  await person.getByRole('button', { name: 'Allow' }).click();
  await person.waitForURL(`${app.url}/cb**`);
  t.equal(await person.locator('h1').textContent(), 'Hello alice', 'the new client works');

  // A wrong redirect URI shows up in the client's diagnostics, in plain words.
  await person.goto(`${running.url}/authorize?client_id=crm&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://elsewhere.example/cb')}`);
  await page.goto(`${running.url}/manage/clients/crm`);
  t.match(await page.locator('table').last().textContent(), 'redirect_uri "https://elsewhere.example/cb" is not registered; registered: http://127.0.0.1');

  await page.getByRole('link', { name: 'Events' }).click();
  const events = await page.locator('table').textContent();
  for (const type of ['client.created', 'sign-in', 'consent.given', 'token.issued', 'authorize.failed']) t.match(events, type, `the events show ${type}`);
  t.notOk((await page.content()).includes(secret), 'no secret in the events');

  await page.getByRole('link', { name: 'Actors' }).click();
  const row = page.locator('tr', { hasText: 'alice' });
  await row.getByRole('button', { name: 'Disable' }).click();
  t.equal(await page.locator('tr', { hasText: 'alice' }).getByRole('button').textContent(), 'Enable', 'alice is disabled');
  await person.goto(`${app.url}/login`);
  t.match(await person.locator('h1').textContent(), /^Sign in to CRM/, 'disabling signed her out: the app must ask again');
});
