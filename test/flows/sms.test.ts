/**
 * Phones as a second factor: a number verified by the code sent to it at setup, then a code
 * by SMS at later sign-ins; through the outbox (integration.phone: log) and through a
 * stand-in for Twilio's Messages API (integration.phone: twilio).
 */
import { createServer } from 'node:http';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { decodeJwt } from 'jose';
import { basic, makeMasks, post, type TestMasks } from '../helpers/app.js';
import { formOf, headingOf, InjectBrowser, type Page } from '../helpers/browser.js';
import { freePort } from '../helpers/server.js';
import { ALICE, authorizeUrl, BOB, codeOf, flowYaml, follow, open } from './setup.js';

const MFA = { id: 'vault', secret: 'vault-secret-that-is-at-least-32-characters', redirect: 'https://vault.example/cb' };
const yaml = (extra: Record<string, unknown> = {}) => {
  const base = flowYaml({ totp_codes: { enabled: false }, webauthn: { enabled: false }, ...extra }) as { seeds: { clients: unknown[] } };
  base.seeds.clients.push({ id: MFA.id, name: 'Vault', client_type: 'confidential', secret: MFA.secret, redirect_uris: [MFA.redirect], checks: ['device', 'credentials', 'second-factor'], scopes: { allowed: ['openid', 'profile'] } });
  return base;
};

const texts = (m: TestMasks) => {
  const outbox = path.join(m.config.data, 'outbox');
  return existsSync(outbox) ? readdirSync(outbox).filter((name) => name.endsWith('.txt')).sort().map((name) => readFileSync(path.join(outbox, name), 'utf8')) : [];
};
async function text(m: TestMasks, n: number): Promise<{ to: string; code: string }> {
  for (let i = 0; i < 100 && texts(m).length < n; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const body = texts(m)[n - 1];
  if (!body) throw new Error(`no text number ${n}`);
  return { to: /^To: (\S+)/.exec(body)![1]!, code: /(\d{6}) is your/.exec(body)![1]! };
}

/** The form on a page whose hidden `method` is this one. */
function formWith(page: Page, method: string) {
  for (const match of page.body.matchAll(/<form[\s\S]*?<\/form>/g)) {
    const form = formOf(match[0]);
    if (form.fields.method === method) return form;
  }
  throw new Error(`no ${method} form:\n${page.body}`);
}

const submitPassword = async (browser: InjectBrowser, page: Page) => follow(browser, await browser.submit(page, { identifier: ALICE.nickname, password: ALICE.password }));

async function enrolPhone(m: TestMasks, browser: InjectBrowser, n = 1) {
  const setup = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  const phone = formWith(setup, 'phone');
  const sent = await browser.post(phone.action, { ...phone.fields, phone: '+44 7700 900123' });
  const { code } = await text(m, n);
  const confirm = formWith(sent, 'phone-code');
  const codes = await browser.post(confirm.action, { ...confirm.fields, code });
  return { setup, sent, codes };
}

t.test('a phone is set up in the sign-in by the code sent to it, then asked for at the next sign-in', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  const browser = new InjectBrowser(m.app);
  const setup = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  t.equal(headingOf(setup.body), 'Set up your phone');
  t.match(setup.body, /<label for="phone">Phone number<\/label>/);
  const phone = formWith(setup, 'phone');
  const bad = await browser.post(phone.action, { ...phone.fields, phone: '07700 900123' });
  t.equal(bad.statusCode, 400, 'a number without its country code');
  t.match(bad.body, /country code/);
  const sent = await browser.post(phone.action, { ...phone.fields, phone: '+44 (7700) 900-123' });
  t.match(sent.body, /<label for="sms-code">SMS code<\/label>/);
  t.match(sent.body, /•••• •• 23/);
  const first = await text(m, 1);
  t.equal(first.to, '+447700900123', 'in E.164');
  const confirm = formWith(sent, 'phone-code');
  t.equal((await browser.post(confirm.action, { ...confirm.fields, code: first.code === '000000' ? '111111' : '000000' })).statusCode, 401);
  const codes = await browser.post(confirm.action, { ...confirm.fields, code: first.code });
  t.equal(headingOf(codes.body), 'Save your backup codes');
  const stored = (await m.db.get("select name, secret from authenticators where kind = 'phone'")) as { name: string; secret: string };
  t.equal(stored.name, 'Phone ending 23');
  t.notMatch(stored.secret, '7700900123', 'the number is sealed');
  const done = await follow(browser, await browser.get(formOf(codes.body).action));
  const claims = decodeJwt((await post(m.app, '/token', { grant_type: 'authorization_code', code: codeOf(done), redirect_uri: MFA.redirect }, basic(MFA.id, MFA.secret))).json().id_token);
  t.same(claims.amr, ['pwd', 'sms']);
  t.equal(claims.acr, 'mfa');

  m.clock.advance(11 * 60);
  const later = new InjectBrowser(m.app);
  const ask = await submitPassword(later, await open(later, authorizeUrl(MFA)));
  t.match(ask.body, /<label for="code">SMS code<\/label>/, 'the code is sent when the page is shown');
  const second = await text(m, 2);
  t.equal((await later.get(new URL(formOf(ask.body).action, 'http://x').pathname.replace(/\/second-factor$/, ''))).statusCode, 200);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(texts(m).length, 2, 'showing the page again sends nothing new');
  const signedIn = await follow(later, await later.submit(ask, { code: second.code }));
  t.ok(codeOf(signedIn));

  const replay = new InjectBrowser(m.app);
  const ask3 = await submitPassword(replay, await open(replay, authorizeUrl(MFA)));
  await text(m, 3);
  t.equal((await replay.submit(ask3, { code: second.code })).statusCode, 401, "another sign-in's code, used already, is refused");
});

t.test("someone typing another person's number at setup cannot use up the texts that person signs in with", async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  await enrolPhone(m, new InjectBrowser(m.app));
  const bob = new InjectBrowser(m.app);
  await bob.submit(await open(bob, '/account'), { identifier: BOB.nickname, password: BOB.password });
  const form = await bob.get('/account/phone');
  const csrf = /name="csrf" value="([^"]*)"/.exec(form.body)![1]!;
  const tries: number[] = [];
  for (let i = 0; i < 4; i++) tries.push((await bob.post('/account/phone', { csrf, phone: '+44 7700 900123' })).statusCode);
  t.same(tries, [200, 200, 422, 422], 'three setup texts an hour to one number (her own setup was the first)');
  const sent = texts(m).length;
  m.clock.advance(11 * 60);
  const alice = new InjectBrowser(m.app);
  const ask = await submitPassword(alice, await open(alice, authorizeUrl(MFA)));
  t.match(ask.body, /<label for="code">SMS code<\/label>/);
  await text(m, sent + 1);
  t.equal(texts(m).length, sent + 1, "her sign-in code is sent all the same");
});

t.test('sending is limited per number and per person', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  await enrolPhone(m, new InjectBrowser(m.app));
  m.clock.advance(11 * 60);
  const browser = new InjectBrowser(m.app);
  const ask = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  const resend = formWith(ask, 'sms');
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await browser.post(resend.action, { ...resend.fields, resend: '1' })).statusCode);
  t.same(statuses, [303, 429, 429], 'three texts to a number in an hour (one at setup, one shown, one resent)');
  t.match((await browser.post(resend.action, { ...resend.fields, resend: '1' })).body, /Too many attempts/);
});

t.test('Twilio: one form POST to its Messages API with Basic authentication, no SDK', async (t) => {
  const received: Array<{ url: string; authorization: string; body: URLSearchParams }> = [];
  const port = await freePort();
  const twilio = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      received.push({ url: request.url!, authorization: request.headers.authorization!, body: new URLSearchParams(body) });
      response.writeHead(201, { 'content-type': 'application/json' }).end('{"sid":"SM1"}');
    });
  });
  await new Promise<void>((resolve) => twilio.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => twilio.close(() => resolve())));
  const m = await makeMasks(t, { yaml: yaml({ integration: { phone: 'twilio', twilio: { account_sid: 'AC123', auth_token: 'twilio-token', from: '+15005550006', api_url: `http://127.0.0.1:${port}` } } }) });
  const browser = new InjectBrowser(m.app);
  const setup = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  const phone = formWith(setup, 'phone');
  const sent = await browser.post(phone.action, { ...phone.fields, phone: '+15551234567' });
  for (let i = 0; i < 100 && received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  t.equal(received.length, 1);
  t.equal(received[0]!.url, '/2010-04-01/Accounts/AC123/Messages.json');
  t.equal(received[0]!.authorization, `Basic ${Buffer.from('AC123:twilio-token').toString('base64')}`);
  t.equal(received[0]!.body.get('To'), '+15551234567');
  t.equal(received[0]!.body.get('From'), '+15005550006');
  const code = /(\d{6}) is your masks code/.exec(received[0]!.body.get('Body')!)![1]!;
  const confirm = formWith(sent, 'phone-code');
  t.equal(headingOf((await browser.post(confirm.action, { ...confirm.fields, code })).body), 'Save your backup codes');
  t.equal(texts(m).length, 0, 'nothing in the outbox');
});
