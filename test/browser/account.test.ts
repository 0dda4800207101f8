/** A person in Chromium: at /account sets up an authenticator app, saves the backup codes, and ends the session of another browser. */
import t from 'tap';
import { totpCode } from '../../src/factors/totp.js';
import { tempDir } from '../helpers/app.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { listen } from '../helpers/server.js';

t.test('/account: set up TOTP, then end another session', async (t) => {
  if (!chromiumAvailable(t)) return;
  const running = await listen(t, tempDir(t), {
    manager: { password: 'manager-password' },
    seeds: { actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password' }] },
  });
  const browser = await launchChromium(t);
  const signIn = async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${running.url}/account`);
    await page.getByLabel('Email or nickname').fill('alice');
    await page.getByLabel('Password').fill('alice-password');
    await page.getByLabel('Password').press('Enter');
    await page.waitForURL(`${running.url}/account`);
    return page;
  };
  const laptop = await signIn();
  const other = await signIn();
  t.equal(await laptop.locator('h1').textContent(), 'Your account');

  await laptop.getByRole('link', { name: 'Add an authenticator app' }).click();
  t.equal(await laptop.locator('h1').textContent(), 'Add an authenticator app');
  t.match(await laptop.getByRole('link', { name: 'Open in an authenticator app' }).getAttribute('href'), /^otpauth:\/\/totp\//);
  t.ok(await laptop.locator('.qr img').isVisible(), 'the QR code shows (an image masks made, under its CSP)');
  const secret = (await laptop.locator('.secret code').textContent())!;
  await laptop.getByLabel('Authenticator name').fill('My phone');
  await laptop.getByLabel('Authentication code').fill(totpCode(secret, Math.floor(Date.now() / 1000)));
  await laptop.getByLabel('Authentication code').press('Enter');
  t.equal(await laptop.locator('h1').textContent(), 'Save your backup codes');
  t.equal(await laptop.locator('ul.codes code').count(), 10);
  await laptop.getByRole('button', { name: 'Continue' }).click();
  t.equal(await laptop.locator('h1').textContent(), 'Your account');
  t.match(await laptop.locator('table', { hasText: 'My phone' }).textContent(), 'totp', 'the app is listed');

  const rows = laptop.locator('tr', { has: laptop.getByRole('button', { name: 'End session' }) });
  t.equal(await rows.count(), 1, 'the other browser is listed, with a button to end it');
  await rows.getByRole('button', { name: 'End session' }).click();
  t.match(await laptop.locator('[role=status]').textContent(), 'The session was ended');
  await other.goto(`${running.url}/account`);
  t.match(await other.locator('h1').textContent(), /^Sign in to/, 'the other browser is signed out');
  await laptop.goto(`${running.url}/account`);
  t.equal(await laptop.locator('h1').textContent(), 'Your account', 'this one is not');
});

t.test('/account: add a passkey, then sign in with it alone', async (t) => {
  if (!chromiumAvailable(t)) return;
  // WebAuthn needs a domain for its relying party id, not an address.
  const running = await listen(
    t,
    tempDir(t),
    { manager: { password: 'manager-password' }, seeds: { actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password' }] } },
    'localhost',
  );
  const site = `http://localhost:${new URL(running.url).port}`;
  const browser = await launchChromium(t);
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  await page.goto(`${site}/account`);
  await page.getByLabel('Email or nickname').fill('alice');
  await page.getByLabel('Password').fill('alice-password');
  await page.getByLabel('Password').press('Enter');
  await page.waitForURL(`${site}/account`);
  await page.getByLabel('Passkey name').fill('Laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await page.waitForSelector('h1:has-text("Save your backup codes")');
  t.equal(await page.locator('ul.codes code').count(), 10, 'the first second factor comes with backup codes');
  t.equal((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length, 1, 'the authenticator holds a new credential');
  await page.getByRole('button', { name: 'Continue' }).click();
  t.match(await page.locator('table', { hasText: 'Laptop' }).textContent(), 'webauthn');

  // Signed out, the passkey alone signs her in.
  await page.goto(`${site}/logout`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.goto(`${site}/account`);
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await page.waitForURL(`${site}/account`);
  t.equal(await page.locator('h1').textContent(), 'Your account', 'signed in with the passkey');
});
