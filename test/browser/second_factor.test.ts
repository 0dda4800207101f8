/**
 * Second factors in Chromium, as a person takes them: setting up an authenticator app
 * inside the first sign-in (QR code, link, code), backup codes shown once, then later
 * sign-ins with a TOTP code and with a backup code, and step-up with acr_values.
 */
import t from 'tap';
import type { Page } from 'playwright-core';
import { totpCode } from '../../src/factors/totp.js';
import { tempDir } from '../helpers/app.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { startRelyingParty } from '../helpers/relying_party.js';
import { freePort, listen } from '../helpers/server.js';

const VAULT_SECRET = 'vault-secret-that-is-at-least-32-characters';
const WEB_SECRET = 'web-secret-that-is-at-least-32-characters';
const now = () => Math.floor(Date.now() / 1000);

async function password(page: Page) {
  await page.getByLabel('Email or nickname').fill('alice');
  await page.getByLabel('Password').fill('alice-password');
  await page.getByLabel('Password').press('Enter');
}

const signedInAs = async (page: Page) => JSON.parse((await page.locator('#sign-in').textContent())!) as { acr: string; amr: string[] };

t.test('a person sets up an authenticator app in the sign-in, then signs in with a code, a backup code and steps up', async (t) => {
  if (!chromiumAvailable(t)) return;
  const [vaultPort, webPort] = [await freePort(), await freePort()];
  const running = await listen(t, tempDir(t), {
    manager: { password: 'manager-password' },
    seeds: {
      clients: [
        { id: 'vault', name: 'Vault', client_type: 'confidential', secret: VAULT_SECRET, redirect_uris: [`http://127.0.0.1:${vaultPort}/cb`], checks: ['device', 'credentials', 'second-factor'], scopes: { allowed: ['openid', 'profile'] } },
        { id: 'web', name: 'Web App', client_type: 'confidential', secret: WEB_SECRET, redirect_uris: [`http://127.0.0.1:${webPort}/cb`], scopes: { allowed: ['openid', 'profile'] } },
      ],
      actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password' }],
    },
  });
  const vault = await startRelyingParty(t, { port: vaultPort, issuer: running.url, clientId: 'vault', secret: VAULT_SECRET });
  const web = await startRelyingParty(t, { port: webPort, issuer: running.url, clientId: 'web', secret: WEB_SECRET });
  const browser = await launchChromium(t);

  // First sign-in: the password, then the setup the vault demands.
  const first = await (await browser.newContext()).newPage();
  await first.goto(`${vault.url}/login`);
  await password(first);
  t.equal(await first.locator('h1').textContent(), 'Set up an authenticator app');
  const qr = first.getByRole('img', { name: /QR code/ });
  t.ok(await qr.isVisible(), 'the QR code shows under the page CSP');
  t.ok(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0), 'and is a real image');
  const href = await first.getByRole('link', { name: 'Open in an authenticator app' }).getAttribute('href');
  t.match(href, /^otpauth:\/\/totp\//);
  const secret = new URL(href!).searchParams.get('secret')!;
  if (process.env.MASKS_SCREENSHOTS) await first.screenshot({ path: `${process.env.MASKS_SCREENSHOTS}/totp-setup.png` });
  await first.getByLabel('Authentication code').fill('000000' === totpCode(secret, now()) ? '999999' : '000000');
  await first.getByLabel('Authentication code').press('Enter');
  t.match(await first.locator('[role=alert]').textContent(), /not right/, 'a wrong code says so');
  await first.getByLabel('Authentication code').fill(totpCode(secret, now()));
  await first.getByLabel('Authentication code').press('Enter');
  t.equal(await first.locator('h1').textContent(), 'Save your backup codes');
  const backupCodes = await first.locator('ul.codes code').allTextContents();
  t.equal(backupCodes.length, 10);
  await first.getByRole('button', { name: 'Continue' }).click();
  await first.waitForURL(`${vault.url}/cb**`);
  t.equal(await first.locator('h1').textContent(), 'Hello alice');
  t.match(await signedInAs(first), { acr: 'mfa', amr: ['pwd', 'otp'] });

  // Another device: the password, then a code from the app (the next step's: the setup used this one).
  const second = await (await browser.newContext()).newPage();
  await second.goto(`${vault.url}/login`);
  await password(second);
  t.equal(await second.locator('h1').textContent(), 'Confirm it is you');
  await second.getByLabel('Authentication code').fill(totpCode(secret, now() + 30));
  await second.getByLabel('Authentication code').press('Enter');
  await second.waitForURL(`${vault.url}/cb**`);
  t.match(await signedInAs(second), { acr: 'mfa', amr: ['pwd', 'otp'] });

  // A third device, the phone lost: a backup code.
  const third = await (await browser.newContext()).newPage();
  await third.goto(`${vault.url}/login`);
  await password(third);
  await third.getByRole('link', { name: 'Use a backup code' }).click();
  await third.getByLabel('Backup code').fill(backupCodes[0]!);
  await third.getByLabel('Backup code').press('Enter');
  t.match(await third.locator('p.detail').textContent(), 'You have 9 backup codes left.');
  await third.getByRole('button', { name: 'Continue' }).click();
  await third.waitForURL(`${vault.url}/cb**`);
  t.match(await signedInAs(third), { acr: 'mfa' });

  // Step-up: signed in to the web app with the password alone, it asks for mfa.
  const fourth = await (await browser.newContext()).newPage();
  await fourth.goto(`${web.url}/login`);
  await password(fourth);
  await fourth.waitForURL(`${web.url}/cb**`);
  t.match(await signedInAs(fourth), { acr: 'pwd', amr: ['pwd'] });
  await fourth.goto(`${web.url}/login?acr_values=mfa`);
  t.equal(await fourth.locator('h1').textContent(), 'Confirm it is you', 'only the missing factor is asked');
  await fourth.getByRole('link', { name: 'Use a backup code' }).click();
  await fourth.getByLabel('Backup code').fill(backupCodes[1]!);
  await fourth.getByLabel('Backup code').press('Enter');
  await fourth.getByRole('button', { name: 'Continue' }).click();
  await fourth.waitForURL(`${web.url}/cb**`);
  t.match(await signedInAs(fourth), { acr: 'mfa', amr: ['pwd', 'otp'] });
});
