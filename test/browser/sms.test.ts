/** A phone as the second factor in Chromium, through the log integration's outbox: set up in the sign-in, then used. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { startRelyingParty } from '../helpers/relying_party.js';
import { freePort, listen } from '../helpers/server.js';

const VAULT_SECRET = 'vault-secret-that-is-at-least-32-characters';

t.test('a person sets up their phone inside the sign-in, then signs in with a code by SMS', async (t) => {
  if (!chromiumAvailable(t)) return;
  const dir = tempDir(t);
  const vaultPort = await freePort();
  const running = await listen(t, dir, {
    manager: { password: 'manager-password' },
    totp_codes: { enabled: false },
    webauthn: { enabled: false },
    seeds: {
      clients: [{ id: 'vault', name: 'Vault', client_type: 'confidential', secret: VAULT_SECRET, redirect_uris: [`http://127.0.0.1:${vaultPort}/cb`], checks: ['device', 'credentials', 'second-factor'], scopes: { allowed: ['openid', 'profile'] } }],
      actors: [{ nickname: 'alice', password: 'alice-password' }],
    },
  });
  const vault = await startRelyingParty(t, { port: vaultPort, issuer: running.url, clientId: 'vault', secret: VAULT_SECRET });
  const outbox = path.join(dir, 'data', 'outbox');
  const codeOf = async (n: number) => {
    for (let i = 0; i < 100 && !(existsSync(outbox) && readdirSync(outbox).length >= n); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return /(\d{6}) is your/.exec(readFileSync(path.join(outbox, readdirSync(outbox).sort()[n - 1]!), 'utf8'))![1]!;
  };
  const browser = await launchChromium(t);
  const password = async (page: import('playwright-core').Page) => {
    await page.goto(`${vault.url}/login`);
    await page.getByLabel('Email or nickname').fill('alice');
    await page.getByLabel('Password').fill('alice-password');
    await page.getByLabel('Password').press('Enter');
  };

  const page = await (await browser.newContext()).newPage();
  await password(page);
  t.equal(await page.locator('h1').textContent(), 'Set up your phone');
  await page.getByLabel('Phone number').fill('+44 7700 900123');
  await page.getByRole('button', { name: 'Text me a code' }).click();
  await page.getByLabel('SMS code').fill(await codeOf(1));
  await page.getByLabel('SMS code').press('Enter');
  t.equal(await page.locator('h1').textContent(), 'Save your backup codes');
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${vault.url}/cb**`);
  t.match(JSON.parse((await page.locator('#sign-in').textContent())!), { acr: 'mfa', amr: ['pwd', 'sms'] });

  const later = await (await browser.newContext()).newPage();
  await password(later);
  t.equal(await later.locator('h1').textContent(), 'Confirm it is you');
  await later.getByLabel('SMS code').fill(await codeOf(2));
  await later.getByLabel('SMS code').press('Enter');
  await later.waitForURL(`${vault.url}/cb**`);
  t.equal(await later.locator('h1').textContent(), 'Hello alice');
});
