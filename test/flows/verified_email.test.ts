/**
 * The verified-email check: an address verified within email_verification_expires_in, or
 * a code emailed to it and typed on the page; a login link verifies its address too.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { makeMasks, type TestMasks } from '../helpers/app.js';
import { formOf, headingOf, InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, BOB, codeOf, flowYaml, follow, open } from './setup.js';

const CHECKED = { id: 'checked', secret: 'checked-secret-that-is-at-least-32-characters', redirect: 'https://checked.example/cb' };
const yaml = () => {
  const base = flowYaml() as { seeds: { clients: unknown[] } };
  base.seeds.clients.push({ id: CHECKED.id, name: 'Checked', client_type: 'confidential', secret: CHECKED.secret, redirect_uris: [CHECKED.redirect], checks: ['device', 'credentials', 'verified-email'], email_verification_expires_in: '1 hour', scopes: { allowed: ['openid', 'profile'] } });
  return base;
};

const outbox = (m: TestMasks) => path.join(m.config.data, 'outbox');
async function mailText(m: TestMasks, n: number): Promise<string> {
  for (let i = 0; i < 100 && !(existsSync(outbox(m)) && readdirSync(outbox(m)).length >= n); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const file = readdirSync(outbox(m)).sort()[n - 1]!;
  return (await simpleParser(readFileSync(path.join(outbox(m), file)))).text ?? '';
}
const codeIn = (text: string) => /Type this code on the page that asked for it: (\d{6})/.exec(text)![1]!;

t.test('an address verified long ago is verified again by an emailed code', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  const fresh = new InjectBrowser(m.app);
  const first = await follow(fresh, await fresh.submit(await open(fresh, authorizeUrl(CHECKED)), { identifier: ALICE.nickname, password: ALICE.password }));
  t.ok(codeOf(first), 'a seeded address counts as verified when it was seeded');

  m.clock.advance(2 * 3600);
  const browser = new InjectBrowser(m.app);
  const page = await follow(browser, await browser.submit(await open(browser, authorizeUrl(CHECKED)), { identifier: ALICE.nickname, password: ALICE.password }));
  t.equal(headingOf(page.body), 'Verify your email address');
  t.match(page.body, /<label for="code">Verification code<\/label>/);
  t.match(page.body, ALICE.email);
  const code = codeIn(await mailText(m, 1));
  const shownAgain = await browser.get(formOf(page.body).action.replace(/\/verify-email$/, ''));
  t.equal(shownAgain.statusCode, 200);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(readdirSync(outbox(m)).length, 1, 'showing the page again sends no second mail');
  t.equal((await browser.submit(page, { code: code === '000000' ? '111111' : '000000' })).statusCode, 401);
  const done = await follow(browser, await browser.submit(page, { code }));
  t.ok(codeOf(done));
  t.equal((await m.db.value('select verified_at from emails where address = ?', ALICE.email)), m.clock.now, 'the address is verified now');

  const resendBrowser = new InjectBrowser(m.app);
  m.clock.advance(2 * 3600);
  const again = await follow(resendBrowser, await resendBrowser.submit(await open(resendBrowser, authorizeUrl(CHECKED)), { identifier: ALICE.nickname, password: ALICE.password }));
  const oldCode = codeIn(await mailText(m, 2));
  const resend = /<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)">\s*<button type="submit" name="resend"/.exec(again.body)!;
  await follow(resendBrowser, await resendBrowser.post(resend[1]!, { csrf: resend[2]!, resend: '1' }));
  const newCode = codeIn(await mailText(m, 3));
  if (newCode !== oldCode) t.equal((await resendBrowser.submit(again, { code: oldCode })).statusCode, 401, 'Send a new code voids the old one');
  t.ok(codeOf(await follow(resendBrowser, await resendBrowser.submit(again, { code: newCode }))));
});

t.test('a login link verifies its address; someone without an address is told so', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  m.clock.advance(2 * 3600);
  const browser = new InjectBrowser(m.app);
  const codePage = await follow(browser, await browser.submit(await open(browser, authorizeUrl(CHECKED)), { identifier: ALICE.email }, { name: 'via', value: 'link' }));
  const code = /code on the sign-in page: (\d{6})/.exec(await mailText(m, 1))![1]!;
  t.ok(codeOf(await follow(browser, await browser.submit(codePage, { code }))), 'no verification asked after a login code to that address');

  const bob = new InjectBrowser(m.app);
  const denied = await follow(bob, await bob.submit(await open(bob, authorizeUrl(CHECKED)), { identifier: BOB.nickname, password: BOB.password }));
  t.equal(denied.statusCode, 403);
  t.match(denied.body, /asks for a verified email address, and your account has none/);
});
