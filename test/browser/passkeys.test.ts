/**
 * Passkeys and security keys in Chromium with virtual authenticators (Chrome DevTools
 * Protocol, WebAuthn domain): added at the setup a client demands, then used as the second
 * factor on a new device, then alone on the sign-in page (passwordless); a security key
 * without user verification as a second factor, but never alone.
 */
import t from 'tap';
import type { BrowserContext, Page } from 'playwright-core';
import { tempDir } from '../helpers/app.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { startRelyingParty } from '../helpers/relying_party.js';
import { freePort, listen } from '../helpers/server.js';

const VAULT_SECRET = 'vault-secret-that-is-at-least-32-characters';

/** A virtual authenticator on the page: a platform passkey (resident, user verification) or a USB security key (neither). */
async function authenticator(context: BrowserContext, page: Page, kind: 'passkey' | 'security-key') {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const passkey = kind === 'passkey';
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: passkey ? 'internal' : 'usb', hasResidentKey: passkey, hasUserVerification: passkey, isUserVerified: passkey, automaticPresenceSimulation: true },
  });
  return { credentials: async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials };
}

async function password(page: Page, who: string) {
  await page.getByLabel('Email or nickname').fill(who);
  await page.getByLabel('Password').fill(`${who}-password`);
  await page.getByLabel('Password').press('Enter');
}

const signedInAs = async (page: Page) => JSON.parse((await page.locator('#sign-in').textContent())!) as { acr: string; amr: string[] };

t.test('passkeys: added at setup, then a second factor on a new device, then alone; a security key as a second factor only', async (t) => {
  if (!chromiumAvailable(t)) return;
  const [vaultPort, plainPort] = [await freePort(), await freePort()];
  const running = await listen(
    t,
    tempDir(t),
    {
      manager: { password: 'manager-password' },
      seeds: {
        clients: [
          { id: 'vault', name: 'Vault', client_type: 'confidential', secret: VAULT_SECRET, redirect_uris: [`http://127.0.0.1:${vaultPort}/cb`], checks: ['device', 'credentials', 'second-factor'], scopes: { allowed: ['openid', 'profile'] } },
          { id: 'plain', name: 'Plain', client_type: 'confidential', secret: VAULT_SECRET, redirect_uris: [`http://127.0.0.1:${plainPort}/cb`], scopes: { allowed: ['openid', 'profile'] } },
        ],
        actors: [
          { nickname: 'alice', password: 'alice-password' },
          { nickname: 'bob', password: 'bob-password' },
        ],
      },
    },
    'localhost',
  );
  const issuer = `http://localhost:${new URL(running.url).port}`;
  const vault = await startRelyingParty(t, { port: vaultPort, issuer, clientId: 'vault', secret: VAULT_SECRET });
  const plain = await startRelyingParty(t, { port: plainPort, issuer, clientId: 'plain', secret: VAULT_SECRET });
  const browser = await launchChromium(t);

  const context = await browser.newContext();
  const page = await context.newPage();
  const passkey = await authenticator(context, page, 'passkey');
  await page.goto(`${vault.url}/login`);
  await password(page, 'alice');
  t.equal(await page.locator('h1').textContent(), 'Set up an authenticator app');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.waitForURL(/\/sign-in\/[^/]+\/second-factor-setup$/);
  t.equal(await page.locator('h1').textContent(), 'Save your backup codes', 'the passkey is added; backup codes shown once');
  t.equal((await passkey.credentials()).length, 1);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.waitForURL(`${vault.url}/cb**`);
  t.match(await signedInAs(page), { acr: 'phr', amr: ['pwd', 'hwk'] }, 'phishing-resistant');

  // A new device (no cookies): the password, then the passkey.
  await context.clearCookies();
  await page.goto(`${vault.url}/login`);
  await password(page, 'alice');
  t.equal(await page.locator('h1').textContent(), 'Confirm it is you');
  const posted = page.waitForRequest((request) => request.method() === 'POST' && request.url().endsWith('/second-factor'));
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  const answer = await posted;
  await page.waitForURL(`${vault.url}/cb**`);
  t.match(await signedInAs(page), { acr: 'phr', amr: ['pwd', 'hwk'] });
  const replay = await page.request.post(answer.url(), { headers: { 'content-type': 'application/x-www-form-urlencoded' }, data: answer.postData()!, maxRedirects: 0 });
  t.not(replay.status(), 303, 'the same signed answer again signs nobody in (its challenge is used)');

  // Passwordless: the passkey alone, from the sign-in page.
  await context.clearCookies();
  await page.goto(`${vault.url}/login`);
  if (process.env.MASKS_SCREENSHOTS) await page.screenshot({ path: `${process.env.MASKS_SCREENSHOTS}/passkey-sign-in.png` });
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.waitForURL(`${vault.url}/cb**`);
  t.equal(await page.locator('h1').textContent(), 'Hello alice');
  t.match(await signedInAs(page), { acr: 'phr', amr: ['hwk'] }, 'no password, and no second step: the passkey verified the person');

  // Passwordless at a client that asks no second factor, then one that does: the passkey counts for both.
  await context.clearCookies();
  await page.goto(`${plain.url}/login`);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.waitForURL(`${plain.url}/cb**`);
  await page.goto(`${vault.url}/login`);
  await page.waitForURL(`${vault.url}/cb**`);
  t.match(await signedInAs(page), { acr: 'phr', amr: ['hwk'] }, 'single sign-on: the remembered passkey is the second factor too');

  // Bob's security key: no user verification, not discoverable.
  const keyContext = await browser.newContext();
  const keyPage = await keyContext.newPage();
  await authenticator(keyContext, keyPage, 'security-key');
  await keyPage.goto(`${vault.url}/login`);
  await password(keyPage, 'bob');
  await keyPage.getByRole('button', { name: 'Add a passkey' }).click();
  await keyPage.waitForURL(/second-factor-setup$/);
  await keyPage.getByRole('button', { name: 'Continue' }).click();
  await keyPage.waitForURL(`${vault.url}/cb**`);
  await keyContext.clearCookies();
  await keyPage.goto(`${vault.url}/login`);
  await password(keyPage, 'bob');
  await keyPage.getByRole('button', { name: 'Use a passkey' }).click();
  await keyPage.waitForURL(`${vault.url}/cb**`);
  t.match(await signedInAs(keyPage), { acr: 'phr', amr: ['pwd', 'hwk'] }, 'a security key as the second factor');
  await keyContext.clearCookies();
  await keyPage.goto(`${vault.url}/login`);
  await keyPage.getByRole('button', { name: 'Use a passkey' }).click();
  await keyPage.locator('[role=alert]').waitFor();
  t.match(await keyPage.locator('[role=alert]').textContent(), /passkey/i, 'but not alone: it cannot verify the person');
  t.match(keyPage.url(), /localhost/, 'still on the sign-in page');

  // A stranger guessing alice's password does not hold her up on the device where she signs in with her passkey.
  const stranger = await (await browser.newContext()).newPage();
  for (let i = 0; i < 7; i++) {
    await stranger.goto(`${vault.url}/login`);
    await stranger.getByLabel('Email or nickname').fill('alice');
    await stranger.getByLabel('Password').fill(`wrong-${i}`);
    await stranger.getByLabel('Password').press('Enter');
  }
  t.match(await stranger.locator('[role=alert]').textContent(), /Too many attempts/, 'the stranger is slowed down');
  // (last: the stranger's failures slow down this test's one address for everything after)
  await context.clearCookies({ name: 'masks_session' });
  await page.goto(`${vault.url}/login`);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.waitForURL(`${vault.url}/cb**`);
  t.equal(await page.locator('h1').textContent(), 'Hello alice', 'alice is not');

});
