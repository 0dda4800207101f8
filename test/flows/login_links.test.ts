/**
 * Login links and codes through the outbox (integration.email: log): asking, typing the
 * code, following the link (GET asks, POST signs in), once each, in the browser that asked,
 * before they expire; unknown addresses look the same; sending and guessing are limited.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { decodeJwt } from 'jose';
import { simpleParser } from 'mailparser';
import { basic, makeMasks, post, type TestMasks } from '../helpers/app.js';
import { formOf, headingOf, InjectBrowser, type Page } from '../helpers/browser.js';
import { ALICE, authorizeUrl, codeOf, flowYaml, follow, open, OTHER } from './setup.js';

const outbox = (m: TestMasks) => path.join(m.config.data, 'outbox');
const mails = (m: TestMasks) => (existsSync(outbox(m)) ? readdirSync(outbox(m)).sort().map((name) => path.join(outbox(m), name)) : []);

/** Wait for the n-th mail in the outbox (sending does not hold up the page) and read its link and code. */
async function mail(m: TestMasks, n: number) {
  for (let i = 0; i < 100 && mails(m).length < n; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const file = mails(m)[n - 1];
  if (!file) throw new Error(`no mail number ${n}`);
  const parsed = await simpleParser(readFileSync(file));
  const link = /(http:\/\/localhost:5000\/sign-in\/link\/[A-Za-z0-9_-]+)/.exec(parsed.text ?? '')![1]!;
  const code = /code on the sign-in page: (\d{6})/.exec(parsed.text ?? '')![1]!;
  return { file, parsed, link: new URL(link).pathname, code };
}

async function askForLink(browser: InjectBrowser, identifier = ALICE.email, client = OTHER): Promise<Page> {
  const page = await open(browser, authorizeUrl(client));
  t.match(page.body, /<button type="submit" name="via" value="link" class="secondary" formnovalidate>Email me a sign-in link<\/button>/);
  return follow(browser, await browser.submit(page, { identifier }, { name: 'via', value: 'link' }));
}

const idToken = async (m: TestMasks, code: string) => {
  const response = await post(m.app, '/token', { grant_type: 'authorization_code', code, redirect_uri: OTHER.redirect }, basic(OTHER.id, OTHER.secret));
  return decodeJwt(response.json().id_token as string);
};

t.test('the code from the email signs in, once; the mail is in the outbox with both link and code', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml({ name: 'Acme' }) });
  const browser = new InjectBrowser(m.app);
  const page = await askForLink(browser);
  t.equal(page.statusCode, 200);
  t.equal(headingOf(page.body), 'Check your email');
  t.match(page.body, /<label for="code">Login code<\/label>/);
  const { file, parsed, code, link } = await mail(m, 1);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the outbox file is private');
  t.match(file, /\.eml$/);
  t.equal(parsed.subject, 'Sign in to Acme');
  t.match(parsed.to, { text: ALICE.email });
  t.match(parsed.from?.text, /Acme/);
  t.match(parsed.html, new RegExp(`href="http://localhost:5000${link}"`), 'an HTML part with the link');
  t.match(parsed.html, code);
  t.equal((await m.db.value('select count(*) from login_links where code_hash like ?', `%${code}%`)), 0, 'the code is stored hashed');

  const wrong = await browser.submit(page, { code: code === '000000' ? '111111' : '000000' });
  t.equal(wrong.statusCode, 401);
  const done = await follow(browser, await browser.submit(wrong, { code }));
  const claims = await idToken(m, codeOf(done));
  t.same(claims.amr, ['email']);
  t.equal(claims.acr, 'pwd', 'one factor');

  const again = await new InjectBrowser(m.app).get(link);
  t.equal(again.statusCode, 410, 'the link of a used code is spent too');
});

t.test('the link: its GET only asks, its POST signs in, in the browser that asked, once', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml() });
  const browser = new InjectBrowser(m.app);
  await askForLink(browser);
  const { link } = await mail(m, 1);

  const elsewhere = await new InjectBrowser(m.app).get(link);
  t.equal(elsewhere.statusCode, 403, 'another browser (a phone) is told to open it where it was asked for');
  t.match(elsewhere.body, /type the code from the email/);

  const confirm = await browser.get(link);
  t.equal(confirm.statusCode, 200);
  t.match(confirm.body, /<button type="submit">Sign in<\/button>/);
  t.equal((await m.db.value('select count(*) from login_links where used_at is not null')), 0, 'a GET (a mail scanner) uses nothing');
  const done = await follow(browser, await browser.submit(confirm, {}));
  t.same((await idToken(m, codeOf(done))).amr, ['email']);
  const twice = await browser.post(link, formOf(confirm.body).fields);
  t.equal(twice.statusCode, 410);
  const forged = await browser.post(link, { csrf: 'forged' });
  t.equal(forged.statusCode, 403, 'the POST needs its CSRF token');
});

t.test('an address that is no one’s gets the same page and no mail; its codes are limited like anyone’s', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml() });
  const known = await askForLink(new InjectBrowser(m.app));
  const unknownBrowser = new InjectBrowser(m.app);
  const unknown = await askForLink(unknownBrowser, 'nobody@example.com');
  const scrub = (page: Page) => page.body.replace(/\/sign-in\/[A-Za-z0-9_-]+/g, '').replace(/value="[^"]+"/g, '');
  t.equal(unknown.statusCode, known.statusCode);
  t.equal(scrub(unknown), scrub(known));
  await mail(m, 1);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(mails(m).length, 1, 'one mail: to alice only');
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) statuses.push((await unknownBrowser.submit(unknown, { code: String(100000 + i) })).statusCode);
  t.same(statuses, [401, 401, 401, 401, 401, 401, 429]);
});

t.test('expiry, a newer link voiding the older, send limits, and clients without links', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml({ seeds: { ...flowYaml().seeds, clients: [...(flowYaml().seeds.clients as object[]).map((c) => ((c as { id: string }).id === 'web' ? { ...c, allow_login_links: false } : c))] } }) });
  const browser = new InjectBrowser(m.app);
  const page = await askForLink(browser);
  const first = await mail(m, 1);
  m.clock.advance(11 * 60);
  t.equal((await browser.submit(page, { code: first.code })).statusCode, 401, 'a code past login_link_expires_in');
  t.equal((await browser.get(first.link)).statusCode, 410, 'a link past it');

  const page2 = await askForLink(browser);
  const second = await mail(m, 2);
  const resendForm = /<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf" value="([^"]+)">\s*<button type="submit" name="resend"/.exec(page2.body)!;
  const page3 = await follow(browser, await browser.post(resendForm[1]!, { csrf: resendForm[2]!, resend: '1' }));
  t.equal(headingOf(page3.body), 'Check your email', 'Send a new link: the same code page');
  const third = await mail(m, 3);
  t.equal(third.parsed.to && (third.parsed.to as { text: string }).text, ALICE.email, 'to the same address');
  t.equal((await browser.submit(page3, { code: second.code === third.code ? '000000' : second.code })).statusCode, 401, 'a new link voids the previous code');
  t.equal((await browser.get(second.link)).statusCode, 410, 'and link');
  const limited = await follow(browser, await browser.submit(await open(browser, authorizeUrl(OTHER)), { identifier: ALICE.email }, { name: 'via', value: 'link' }));
  t.equal(limited.statusCode, 429, 'a fourth mail to one address within the hour waits');
  t.ok(Number(limited.headers['retry-after']) > 0);

  const webBrowser = new InjectBrowser(m.app);
  const web = await open(webBrowser, '/authorize?' + new URLSearchParams({ client_id: 'web', response_type: 'code', redirect_uri: 'https://web.example/cb', scope: 'openid' }));
  t.notMatch(web.body, /Email me a sign-in link/, 'a client with allow_login_links: false has no button');
  const forced = await webBrowser.post(formOf(web.body).action, { ...formOf(web.body).fields, identifier: ALICE.email, via: 'link' });
  t.match(forced.body, /not available here/);
});

t.test('three mails an hour to one inbox, whether asked for by address or nickname', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml({ trust_proxy: ['127.0.0.1'] }) });
  const statuses: number[] = [];
  for (const [i, identifier] of [ALICE.email, ALICE.nickname, ALICE.email, ALICE.nickname, 'ALICE@example.com'].entries()) {
    const browser = new InjectBrowser(m.app);
    const page = await open(browser, authorizeUrl(OTHER));
    statuses.push((await browser.post(formOf(page.body).action, { ...formOf(page.body).fields, identifier, via: 'link' }, { 'x-forwarded-for': `198.51.100.${i}` })).statusCode);
  }
  t.same(statuses, [303, 303, 303, 429, 429]);
  m.clock.advance(3601);
  const later = new InjectBrowser(m.app);
  const page = await open(later, authorizeUrl(OTHER));
  t.equal((await later.post(formOf(page.body).action, { ...formOf(page.body).fields, identifier: ALICE.nickname, via: 'link' })).statusCode, 303, 'an hour later, again');
});

t.test('a client that takes no login links takes no session signed in by one', async (t) => {
  const yaml = flowYaml() as { seeds: { clients: Array<Record<string, unknown>> } };
  yaml.seeds.clients = yaml.seeds.clients.map((c) => (c.id === 'intranet' ? { ...c, allow_login_links: false } : c));
  const m = await makeMasks(t, { yaml });
  const browser = new InjectBrowser(m.app);
  const page = await askForLink(browser);
  const { code } = await mail(m, 1);
  t.ok(codeOf(await follow(browser, await browser.submit(page, { code }))));
  const intranet = await open(browser, '/authorize/intranet?rd=https://wiki.example.com/');
  t.equal(intranet.statusCode, 200, 'the password form, not single sign-on');
  t.match(intranet.body, /name="password"/);
  t.equal((await browser.get('/verify?client_id=intranet')).statusCode, 401);
});

t.test('a passed login link is remembered on the device for login_link_factor_expires_in', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml() });
  const browser = new InjectBrowser(m.app);
  const page = await askForLink(browser);
  const { code } = await mail(m, 1);
  codeOf(await follow(browser, await browser.submit(page, { code })));
  m.clock.advance(3600);
  t.ok(codeOf(await open(browser, authorizeUrl(OTHER))), 'an hour later: single sign-on, no form');
});
