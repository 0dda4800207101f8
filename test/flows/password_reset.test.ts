/**
 * "Forgot your password?": the emailed link or code, then a new password typed twice; the
 * old password stops working and the person's other sessions end.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { makeMasks, type TestMasks } from '../helpers/app.js';
import { headingOf, InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, codeOf, flowYaml, follow, open, OTHER, signIn } from './setup.js';

async function firstMail(m: TestMasks) {
  const outbox = path.join(m.config.data, 'outbox');
  for (let i = 0; i < 100 && !(existsSync(outbox) && readdirSync(outbox).length > 0); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  return simpleParser(readFileSync(path.join(outbox, readdirSync(outbox).sort()[0]!)));
}

t.test('a forgotten password is reset through the emailed code, and every other session ends', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml() });
  const elsewhere = new InjectBrowser(m.app);
  t.ok(codeOf(await signIn(elsewhere, await open(elsewhere, authorizeUrl(OTHER)))), 'signed in on another device');

  const browser = new InjectBrowser(m.app);
  const start = await open(browser, authorizeUrl(OTHER));
  t.match(start.body, /<button type="submit" name="via" value="reset" class="link" formnovalidate>Forgot your password\?<\/button>/);
  const codePage = await follow(browser, await browser.submit(start, { identifier: ALICE.nickname }, { name: 'via', value: 'reset' }));
  t.equal(headingOf(codePage.body), 'Check your email');
  const mail = await firstMail(m);
  t.equal(mail.subject, 'Reset your masks password');
  t.match(mail.text, /choose a new password/);
  const code = /code on the sign-in page: (\d{6})/.exec(mail.text ?? '')![1]!;
  const choose = await follow(browser, await browser.submit(codePage, { code }));
  t.equal(headingOf(choose.body), 'Choose a new password');
  t.match(choose.body, /<label for="password">New password<\/label>/);
  t.match(choose.body, /<label for="confirm">Confirm new password<\/label>/);
  const mismatch = await browser.submit(choose, { password: 'a-new-password', confirm: 'another-password' });
  t.equal(mismatch.statusCode, 400);
  t.match(mismatch.body, /not the same/);
  const short = await browser.submit(choose, { password: 'short', confirm: 'short' });
  t.equal(short.statusCode, 400);
  const silent = await open(browser, authorizeUrl(OTHER, { prompt: 'none' }));
  t.equal(new URL(silent.headers.location as string).searchParams.get('error'), 'login_required', 'no session until the new password is set');
  const done = await follow(browser, await browser.submit(choose, { password: 'a-new-password', confirm: 'a-new-password' }));
  t.ok(codeOf(done), 'signed in');

  const afterReset = await open(elsewhere, authorizeUrl(OTHER));
  t.equal(afterReset.statusCode, 200, 'the other device is signed out');
  const old = await elsewhere.submit(afterReset, { identifier: ALICE.nickname, password: ALICE.password });
  t.equal(old.statusCode, 401, 'the old password no longer works');
  t.ok(codeOf(await follow(elsewhere, await elsewhere.submit(afterReset, { identifier: ALICE.nickname, password: 'a-new-password' }))), 'the new one does');
});
