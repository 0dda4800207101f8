/**
 * The onboarded check: at the first sign-in to a client that demands it, a name (and a
 * password for someone who has none), once.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { basic, makeMasks, post, type TestMasks } from '../helpers/app.js';
import { headingOf, InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, codeOf, flowYaml, follow, open } from './setup.js';

const WELCOME = { id: 'welcome', secret: 'welcome-secret-that-is-at-least-32-characters', redirect: 'https://welcome.example/cb' };
const yaml = () => {
  const base = flowYaml() as { seeds: { clients: unknown[]; actors: unknown[] } };
  base.seeds.clients.push({ id: WELCOME.id, name: 'Welcome', client_type: 'confidential', secret: WELCOME.secret, redirect_uris: [WELCOME.redirect], checks: ['device', 'credentials', 'onboarded'], scopes: { allowed: ['openid', 'profile'] } });
  base.seeds.actors.push({ email: 'carol@example.com' });
  return base;
};

const userinfo = async (m: TestMasks, code: string) => {
  const tokens = (await post(m.app, '/token', { grant_type: 'authorization_code', code, redirect_uri: WELCOME.redirect }, basic(WELCOME.id, WELCOME.secret))).json();
  return (await m.app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
};

t.test('a person with a password gives a name at the first sign-in, and is not asked again', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  const browser = new InjectBrowser(m.app);
  const page = await follow(browser, await browser.submit(await open(browser, authorizeUrl(WELCOME)), { identifier: ALICE.nickname, password: ALICE.password }));
  t.equal(headingOf(page.body), 'Welcome');
  t.match(page.body, /<label for="name">Name<\/label>/);
  t.notMatch(page.body, /name="password"/, 'no password asked of someone who has one');
  t.match(page.body, /<button type="submit">Continue<\/button>/);
  const blank = await browser.submit(page, { name: '   ' });
  t.equal(blank.statusCode, 400);
  t.match(blank.body, /Enter your name/);
  const done = await follow(browser, await browser.submit(blank, { name: '  Alice   Liddell ' }));
  t.match(await userinfo(m, codeOf(done)), { name: 'Alice Liddell' });
  t.ok((await m.db.value('select onboarded_at from actors where nickname = ?', 'alice')), 'onboarded');

  const again = await follow(browser, await browser.submit(await open(browser, authorizeUrl(WELCOME, { prompt: 'login' })), { identifier: ALICE.nickname, password: ALICE.password }));
  t.ok(codeOf(again), 'the next sign-in goes straight through');
});

t.test('a name in any script reaches forward-auth as UTF-8; invisible format characters are dropped', async (t) => {
  const yaml = flowYaml() as { seeds: { clients: Array<Record<string, unknown>> } };
  yaml.seeds.clients = yaml.seeds.clients.map((c) => (c.id === 'intranet' ? { ...c, checks: ['device', 'credentials', 'onboarded'] } : c));
  const m = await makeMasks(t, { yaml });
  const browser = new InjectBrowser(m.app);
  const page = await follow(browser, await browser.submit(await open(browser, '/authorize/intranet?rd=https://wiki.example.com/'), { identifier: ALICE.nickname, password: ALICE.password }));
  const done = await browser.submit(page, { name: 'Łukasz \u202e李 🦊\u200b' });
  t.equal(done.headers.location, 'https://wiki.example.com/');
  t.equal((await m.db.value('select name from actors where nickname = ?', 'alice')), 'Łukasz 李 🦊');
  const verify = await browser.get('/verify');
  t.equal(verify.statusCode, 200);
  t.equal(Buffer.from(verify.headers['remote-name'] as string, 'latin1').toString('utf8'), 'Łukasz 李 🦊');
});

t.test('someone without a password signs in by email and chooses a name and a password', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  const browser = new InjectBrowser(m.app);
  const start = await open(browser, authorizeUrl(WELCOME));
  const codePage = await follow(browser, await browser.submit(start, { identifier: 'carol@example.com' }, { name: 'via', value: 'link' }));
  const outbox = path.join(m.config.data, 'outbox');
  for (let i = 0; i < 100 && !(existsSync(outbox) && readdirSync(outbox).length > 0); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const mail = await simpleParser(readFileSync(path.join(outbox, readdirSync(outbox)[0]!)));
  const code = /code on the sign-in page: (\d{6})/.exec(mail.text ?? '')![1]!;
  const page = await follow(browser, await browser.submit(codePage, { code }));
  t.equal(headingOf(page.body), 'Welcome');
  t.match(page.body, /<label for="password">Password<\/label>/);
  const weak = await browser.submit(page, { name: 'Carol', password: 'short' });
  t.equal(weak.statusCode, 400);
  t.match(weak.body, /shorter than passwords\.min_chars \(8\)/);
  t.match(weak.body, /value="Carol"/, 'the name typed is kept');
  const done = await follow(browser, await browser.submit(weak, { name: 'Carol', password: 'carol-password' }));
  t.match(await userinfo(m, codeOf(done)), { name: 'Carol' });

  const withPassword = new InjectBrowser(m.app);
  const signedIn = await follow(withPassword, await withPassword.submit(await open(withPassword, authorizeUrl(WELCOME)), { identifier: 'carol@example.com', password: 'carol-password' }));
  t.ok(codeOf(signedIn), 'the chosen password works, and onboarding is not asked again');
});
