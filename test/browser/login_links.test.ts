/**
 * Login links in Chromium, delivered over real SMTP: the person asks for a link, the mail
 * arrives at an SMTP server the test runs, the link's page asks before it signs in, and the
 * link works once. Then a code instead of the link, with SMTP AUTH.
 */
import t from 'tap';
import { tempDir } from '../helpers/app.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { startRelyingParty } from '../helpers/relying_party.js';
import { freePort, listen } from '../helpers/server.js';
import { startSmtp } from '../helpers/smtp.js';

const WEB_SECRET = 'web-secret-that-is-at-least-32-characters';

async function installation(t: Parameters<typeof startSmtp>[0], smtp: Record<string, unknown>) {
  const webPort = await freePort();
  const running = await listen(t, tempDir(t), {
    name: 'Acme',
    manager: { password: 'manager-password' },
    emails: { from: 'Acme sign-in <login@acme.example>' },
    integration: { email: 'smtp', smtp },
    seeds: {
      clients: [{ id: 'web', name: 'Web App', client_type: 'confidential', secret: WEB_SECRET, redirect_uris: [`http://127.0.0.1:${webPort}/cb`], scopes: { allowed: ['openid', 'profile'] } }],
      actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password' }],
    },
  });
  const web = await startRelyingParty(t, { port: webPort, issuer: running.url, clientId: 'web', secret: WEB_SECRET });
  return { running, web };
}

t.test('a person signs in with a link from an email sent over SMTP; the link works once', async (t) => {
  if (!chromiumAvailable(t)) return;
  const inbox = await startSmtp(t);
  const { web } = await installation(t, { host: '127.0.0.1', port: inbox.port });
  const browser = await launchChromium(t);
  const page = await (await browser.newContext()).newPage();

  await page.goto(`${web.url}/login`);
  await page.getByLabel('Email or nickname').fill('alice@example.com');
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  t.equal(await page.locator('h1').textContent(), 'Check your email');
  t.ok(await page.getByLabel('Login code').isVisible());

  const mail = await inbox.nth(1);
  t.equal(mail.subject, 'Sign in to Acme');
  t.match(mail.from?.value[0], { name: 'Acme sign-in', address: 'login@acme.example' }, 'from emails.from');
  t.equal(inbox.users[0], undefined, 'no AUTH when no user is configured');
  const link = /(http:\/\/127\.0\.0\.1:\d+\/sign-in\/link\/\S+)/.exec(mail.text ?? '')![1]!;
  t.ok(String(mail.html).includes(`href="${link}"`), 'the HTML part links the same');

  await page.goto(link);
  t.equal(await page.locator('h1').textContent(), 'Sign in to Web App', 'the link asks first');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${web.url}/cb**`);
  t.equal(await page.locator('h1').textContent(), 'Hello alice');
  t.match(JSON.parse((await page.locator('#sign-in').textContent())!), { amr: ['email'], acr: 'pwd' });

  const again = await page.goto(link);
  t.equal(again?.status(), 410, 'the link works once');
  t.equal(await page.locator('h1').textContent(), 'Link expired');
});

t.test('the code from the email, with SMTP AUTH', async (t) => {
  if (!chromiumAvailable(t)) return;
  const inbox = await startSmtp(t, { user: 'masks', password: 'smtp-password' });
  const { web } = await installation(t, { host: '127.0.0.1', port: inbox.port, user: 'masks', password: 'smtp-password' });
  const browser = await launchChromium(t);
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${web.url}/login`);
  await page.getByLabel('Email or nickname').fill('alice');
  await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
  const mail = await inbox.nth(1);
  t.equal(inbox.users[0], 'masks', 'authenticated as the configured user');
  t.match(mail.to, { text: 'alice@example.com' }, 'a nickname is sent to the person’s address');
  const code = /code on the sign-in page: (\d{6})/.exec(mail.text ?? '')![1]!;
  await page.getByLabel('Login code').fill(code);
  await page.getByLabel('Login code').press('Enter');
  await page.waitForURL(`${web.url}/cb**`);
  t.equal(await page.locator('h1').textContent(), 'Hello alice');
});
