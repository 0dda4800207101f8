/**
 * Second factors in whole sign-ins: setting up an authenticator app inside the sign-in,
 * backup codes shown once, TOTP and backup codes at later sign-ins, replays, limits,
 * remembering per device, and step-up with acr_values.
 */
import t from 'tap';
import { decodeJwt } from 'jose';
import { TOTP_PERIOD, totpCode } from '../../src/factors/totp.js';
import { basic, makeMasks, post, type TestMasks } from '../helpers/app.js';
import { formOf, headingOf, InjectBrowser, type Page } from '../helpers/browser.js';
import { ALICE, authorizeUrl, BOB, codeOf, flowYaml, follow, open, OTHER, WEB } from './setup.js';

/** The flow installation with a client that demands a second factor. */
const MFA = { id: 'vault', secret: 'vault-secret-that-is-at-least-32-characters', redirect: 'https://vault.example/cb' };
const mfaYaml = (extra: Record<string, unknown> = {}) => {
  const yaml = flowYaml(extra) as { seeds: { clients: unknown[] } };
  yaml.seeds.clients.push({ id: MFA.id, name: 'Vault', client_type: 'confidential', secret: MFA.secret, redirect_uris: [MFA.redirect], checks: ['device', 'credentials', 'second-factor'], scopes: { allowed: ['openid', 'profile'] } });
  return yaml;
};
const mfaMasks = (t: Parameters<typeof makeMasks>[0], extra: Record<string, unknown> = {}) => makeMasks(t, { yaml: mfaYaml(extra) });

const exchange = async (app: TestMasks['app'], code: string, client = MFA) => {
  const response = await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: client.redirect }, basic(client.id, client.secret));
  if (response.statusCode !== 200) throw new Error(response.body);
  return decodeJwt(response.json().id_token as string);
};

async function submitPassword(browser: InjectBrowser, page: Page, who: { nickname: string; password: string } = ALICE): Promise<Page> {
  return follow(browser, await browser.submit(page, { identifier: who.nickname, password: who.password }));
}

/** The otpauth:// secret on a setup page. */
function secretOf(page: Page): string {
  const href = /href="(otpauth:\/\/totp\/[^"]+)"/.exec(page.body)?.[1];
  if (!href) throw new Error(`no otpauth link:\n${page.body}`);
  return new URL(href.replace(/&amp;/g, '&')).searchParams.get('secret')!;
}

/** Sign alice in to the vault for the first time: password, authenticator setup, backup codes. */
async function enrol(m: TestMasks, browser = new InjectBrowser(m.app)) {
  const setup = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  const secret = secretOf(setup);
  const codesPage = await browser.submit(setup, { code: totpCode(secret, m.clock.now), name: 'Phone' });
  const backupCodes = [...codesPage.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1]!);
  const done = await follow(browser, await browser.get(formOf(codesPage.body).action));
  return { browser, secret, setup, codesPage, backupCodes, done };
}

t.test('a person with no second factor sets up an authenticator app inside the sign-in, sees backup codes once, and gets mfa', async (t) => {
  const m = await mfaMasks(t);
  const browser = new InjectBrowser(m.app);
  const setup = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  t.equal(setup.statusCode, 200);
  t.equal(headingOf(setup.body), 'Set up an authenticator app');
  t.match(setup.body, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+"/, 'a QR code made by masks, inline');
  t.match(setup.body, /<label for="code">Authentication code<\/label>/);
  const secret = secretOf(setup);
  t.ok(secret.length >= 32, 'a secret of 20 bytes (32 base32 characters)');
  const href = new URL(/href="(otpauth:[^"]+)"/.exec(setup.body)![1]!.replace(/&amp;/g, '&'));
  t.same([href.searchParams.get('issuer'), href.searchParams.get('algorithm'), href.searchParams.get('digits'), href.searchParams.get('period')], ['masks', 'SHA1', '6', '30']);
  t.match(decodeURIComponent(href.pathname), /alice/, 'the account is named in the app');

  const wrong = await browser.submit(setup, { code: '000000' === totpCode(secret, m.clock.now) ? '111111' : '000000' });
  t.equal(wrong.statusCode, 401);
  t.equal(secretOf(wrong), secret, 'a wrong code keeps the same secret: no second scan');
  t.equal((await m.db.value('select count(*) from authenticators')), 0, 'nothing is set up on a wrong code');

  const codesPage = await browser.submit(wrong, { code: totpCode(secret, m.clock.now), name: 'Phone' });
  t.equal(codesPage.statusCode, 200);
  t.equal(headingOf(codesPage.body), 'Save your backup codes');
  const codes = [...codesPage.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1]!);
  t.equal(codes.length, 10, 'backup_codes.total codes, each in its own <code>');
  t.ok(codes.every((code) => /^[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}$/.test(code)), 'unambiguous characters');
  t.equal(new Set(codes).size, 10);
  t.match(codesPage.body, /<button type="submit">Continue<\/button>/);

  const stored = (await m.db.all('select * from authenticators')) as Array<{ name: string; secret: string; last_step: number }>;
  t.equal(stored.length, 1);
  t.equal(stored[0]!.name, 'Phone');
  t.notMatch(stored[0]!.secret, secret, 'the secret is not stored in the clear');
  t.equal(stored[0]!.last_step, Math.floor(m.clock.now / TOTP_PERIOD), 'the confirming code is used up');
  const hashes = (await m.db.column('select hash from backup_codes')) as string[];
  t.equal(hashes.length, 10);
  t.ok(codes.every((code) => !hashes.some((hash) => hash.includes(code.replace(/-/g, '')))), 'backup codes are stored hashed');

  const done = await follow(browser, await browser.get(formOf(codesPage.body).action));
  const claims = await exchange(m.app, codeOf(done));
  t.same(claims.amr, ['pwd', 'otp']);
  t.equal(claims.acr, 'mfa');

  const again = await browser.get(formOf(codesPage.body).action);
  t.not(again.statusCode, 200, 'the codes page is not shown again');
  t.notMatch(again.body, /<code>/);
});

t.test('ID token, userinfo, introspection and a JWT access token agree on acr, amr and auth_time', async (t) => {
  const yaml = mfaYaml() as { seeds: { clients: Array<{ id: string }> } };
  yaml.seeds.clients = yaml.seeds.clients.map((c) => (c.id === MFA.id ? { ...c, access_token_format: 'jwt' } : c));
  const m = await makeMasks(t, { yaml });
  const { done } = await enrol(m);
  const response = (await post(m.app, '/token', { grant_type: 'authorization_code', code: codeOf(done), redirect_uri: MFA.redirect }, basic(MFA.id, MFA.secret))).json();
  const id = decodeJwt(response.id_token as string);
  const expected = { acr: 'mfa', amr: ['pwd', 'otp'], auth_time: id.auth_time };
  t.match(id, expected);
  t.match(decodeJwt(response.access_token as string), expected, 'the JWT access token (RFC 9068)');
  t.match((await m.app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${response.access_token}` } })).json(), expected, 'userinfo');
  t.match((await post(m.app, '/introspect', { token: response.access_token }, basic(MFA.id, MFA.secret))).json(), { active: true, ...expected }, 'introspection of the access token');
  const refreshed = (await post(m.app, '/token', { grant_type: 'refresh_token', refresh_token: response.refresh_token }, basic(MFA.id, MFA.secret))).json();
  t.match((await post(m.app, '/introspect', { token: refreshed.access_token }, basic(MFA.id, MFA.secret))).json(), expected, 'and of one from a refresh');
});

t.test('later sign-ins ask for the code after the password; a code works once', async (t) => {
  const m = await mfaMasks(t);
  const { secret } = await enrol(m);
  m.clock.advance(TOTP_PERIOD * 3);
  const browser = new InjectBrowser(m.app);
  const ask = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  t.equal(ask.statusCode, 200);
  t.match(ask.body, /<label for="code">Authentication code<\/label>/);
  t.match(ask.body, />Use a backup code<\/a>/);
  const code = totpCode(secret, m.clock.now);
  const signedIn = await follow(browser, await browser.submit(ask, { code }));
  t.same((await exchange(m.app, codeOf(signedIn))).amr, ['pwd', 'otp']);

  const other = new InjectBrowser(m.app);
  const ask2 = await submitPassword(other, await open(other, authorizeUrl(MFA)));
  const replay = await other.submit(ask2, { code });
  t.equal(replay.statusCode, 401, 'the same code again is refused for its whole window');
  t.match(replay.body, /not right, or was used already/);
  const previous = await other.submit(ask2, { code: totpCode(secret, m.clock.now - TOTP_PERIOD) });
  t.equal(previous.statusCode, 401, 'so is the code of the step before the one used');
  m.clock.advance(TOTP_PERIOD);
  const next = await follow(other, await other.submit(ask2, { code: totpCode(secret, m.clock.now) }));
  t.ok(codeOf(next), 'the next step’s code works');
});

t.test('a code one step early or late is accepted; two steps off is not', async (t) => {
  const m = await mfaMasks(t);
  const { secret } = await enrol(m);
  m.clock.advance(TOTP_PERIOD * 10);
  const browser = new InjectBrowser(m.app);
  const ask = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  t.equal((await browser.submit(ask, { code: totpCode(secret, m.clock.now + 2 * TOTP_PERIOD) })).statusCode, 401);
  t.equal((await browser.submit(ask, { code: totpCode(secret, m.clock.now - 2 * TOTP_PERIOD) })).statusCode, 401);
  const late = await follow(browser, await browser.submit(ask, { code: totpCode(secret, m.clock.now + TOTP_PERIOD) }));
  t.ok(codeOf(late));
});

t.test('backup codes: each signs in once, says how many remain, and two parallel uses have one winner', async (t) => {
  const m = await mfaMasks(t);
  const { backupCodes } = await enrol(m);
  const browser = new InjectBrowser(m.app);
  const ask = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  const backupPage = await browser.get(/href="([^"]+)">Use a backup code/.exec(ask.body)![1]!.replace(/&amp;/g, '&'));
  t.match(backupPage.body, /<label for="code">Backup code<\/label>/);
  const notice = await browser.submit(backupPage, { code: backupCodes[0]!.toLowerCase().replace(/-/g, ' ') });
  t.equal(notice.statusCode, 200, 'typed in lower case with spaces: still the code');
  t.match(notice.body, /You have 9 backup codes left\./);
  const done = await follow(browser, await browser.get(formOf(notice.body).action));
  const claims = await exchange(m.app, codeOf(done));
  t.same(claims.amr, ['pwd', 'otp']);
  t.equal(claims.acr, 'mfa');

  const again = new InjectBrowser(m.app);
  const ask2 = await submitPassword(again, await open(again, authorizeUrl(MFA)));
  const reuse = await again.post(formOf(ask2.body).action, { ...formOf(ask2.body).fields, method: 'backup_code', code: backupCodes[0]! });
  t.equal(reuse.statusCode, 401, 'a used backup code is refused');

  const [one, two] = [new InjectBrowser(m.app), new InjectBrowser(m.app)];
  const [page1, page2] = [await submitPassword(one, await open(one, authorizeUrl(MFA))), await submitPassword(two, await open(two, authorizeUrl(MFA)))];
  const results = await Promise.all([
    one.post(formOf(page1.body).action, { ...formOf(page1.body).fields, method: 'backup_code', code: backupCodes[1]! }),
    two.post(formOf(page2.body).action, { ...formOf(page2.body).fields, method: 'backup_code', code: backupCodes[1]! }),
  ]);
  t.same(results.map((r) => r.statusCode).sort(), [200, 401], 'two parallel uses of one code: one wins');
  t.equal((await m.db.value('select count(*) from backup_codes where used_at is null')), 8);
});

t.test('wrong codes count against the same limits as passwords', async (t) => {
  const m = await mfaMasks(t);
  await enrol(m);
  const browser = new InjectBrowser(m.app);
  const ask = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  const statuses: number[] = [];
  for (let i = 0; i < 8; i++) statuses.push((await browser.submit(ask, { code: String(100000 + i) })).statusCode);
  t.same(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
  t.equal(statuses.at(-1), 429, 'then the person must wait');
  const backup = await browser.post(formOf(ask.body).action, { ...formOf(ask.body).fields, method: 'backup_code', code: 'AAAA-BBBB-CCCC' });
  t.equal(backup.statusCode, 429, 'backup codes share the count');
});

t.test('typing the password again gives no fresh code guesses (an attacker who knows the password), from any address', async (t) => {
  const m = await mfaMasks(t, { trust_proxy: ['127.0.0.1'] });
  await enrol(m);
  m.clock.advance(11 * 60);
  let ip = 0;
  const from = () => ({ 'x-forwarded-for': `198.51.100.${++ip}` });
  const send = (browser: InjectBrowser, page: Page, fields: Record<string, string>) => browser.post(formOf(page.body).action, { ...formOf(page.body).fields, ...fields }, from());
  const browser = new InjectBrowser(m.app);
  const passwordFrom = async () => follow(browser, await send(browser, await open(browser, authorizeUrl(MFA, { prompt: 'login' })), { identifier: ALICE.nickname, password: ALICE.password }));
  let ask = await passwordFrom();
  for (let i = 0; i < 6; i++) t.equal((await send(browser, ask, { method: 'totp', code: String(200000 + i) })).statusCode, 401);
  for (let round = 0; round < 3; round++) {
    ask = await passwordFrom();
    t.match(ask.body, /Authentication code/, 'the password is right again');
    t.equal((await send(browser, ask, { method: 'totp', code: String(300000 + round) })).statusCode, 429, `round ${round}: the code count stands`);
  }
  const elsewhere = new InjectBrowser(m.app);
  const other = await follow(elsewhere, await send(elsewhere, await open(elsewhere, authorizeUrl(MFA)), { identifier: ALICE.nickname, password: ALICE.password }));
  t.equal((await send(elsewhere, other, { method: 'backup_code', code: 'AAAA-BBBB-CCCC' })).statusCode, 429, 'and holds on every device, for backup codes too');
  t.equal((await m.db.value("select count(*) from factors where kind = 'password'")), 1, 'half-finished sign-ins make no device known: only the enrolling one counts');
});

t.test('a stranger typing wrong login codes for someone never holds up that person on their own device', async (t) => {
  const m = await mfaMasks(t, { trust_proxy: ['127.0.0.1'] });
  const { browser: own, secret } = await enrol(m);
  const stranger = new InjectBrowser(m.app);
  const start = await open(stranger, authorizeUrl(OTHER));
  const codePage = await follow(stranger, await stranger.post(formOf(start.body).action, { ...formOf(start.body).fields, identifier: ALICE.email, via: 'link' }, { 'x-forwarded-for': '203.0.113.9' }));
  for (let i = 0; i < 12; i++) {
    await stranger.post(formOf(codePage.body).action, { ...formOf(codePage.body).fields, code: String(100000 + i) }, { 'x-forwarded-for': `203.0.113.${10 + i}` });
    m.clock.advance(901);
  }
  const bye = await own.get('/logout');
  await own.submit(bye, {});
  const ask = await submitPassword(own, await open(own, authorizeUrl(MFA)));
  t.match(ask.body, /Authentication code/, 'the password works on her own device');
  const done = await follow(own, await own.submit(ask, { code: totpCode(secret, m.clock.now) }));
  t.ok(codeOf(done), 'and so does her code');
});

t.test('signing out forgets the device’s factors and ends its sessions even when the session cookie is gone (a browser restart)', async (t) => {
  const yaml = mfaYaml() as { seeds: { clients: unknown[] } };
  yaml.seeds.clients.push({ id: 'intra', name: 'Intra', client_type: 'internal', redirect_uris: ['https://intra.example.com/'], checks: ['device', 'credentials', 'second-factor'] });
  const m = await makeMasks(t, { yaml });
  const { browser, secret } = await enrol(m);
  m.clock.advance(TOTP_PERIOD);
  const intra = await open(browser, '/authorize/intra?rd=https://intra.example.com/');
  const done = await follow(browser, intra.statusCode === 200 ? await browser.submit(intra, { code: totpCode(secret, m.clock.now) }) : intra);
  t.equal(done.headers.location, 'https://intra.example.com/');
  const internal = browser.cookies.get('masks_internal')!;
  browser.cookies.delete('masks_session');
  const bye = await browser.get('/logout');
  await browser.submit(bye, {});
  const again = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  t.match(again.body, /Authentication code/, 'the remembered code is forgotten');
  browser.cookies.set('masks_internal', internal);
  t.equal((await browser.get('/verify?client_id=intra')).statusCode, 401, 'the internal cookie issued on the device is revoked too');
});

t.test('forward-auth: a cookie from a password-only internal sign-in does not open an internal client that demands a second factor', async (t) => {
  const yaml = mfaYaml() as { seeds: { clients: unknown[] } };
  yaml.seeds.clients.push({ id: 'intra', name: 'Intra', client_type: 'internal', redirect_uris: ['https://intra.example.com/'], checks: ['device', 'credentials', 'second-factor'] });
  const m = await makeMasks(t, { yaml });
  const { secret } = await enrol(m);
  m.clock.advance(11 * 60);
  const browser = new InjectBrowser(m.app);
  const wiki = await submitPassword(browser, await open(browser, '/authorize/intranet?rd=https://wiki.example.com/'));
  t.equal(wiki.headers.location, 'https://wiki.example.com/', 'signed in to the password-only internal client');
  t.equal((await browser.get('/verify?client_id=intranet')).statusCode, 200);
  const intra = await browser.get('/verify?client_id=intra&rd=https://intra.example.com/');
  t.equal(intra.statusCode, 302, 'not let in: sent to sign in to intra');
  t.match(intra.headers.location, /\/authorize\/intra\?rd=/);
  t.equal((await browser.get('/verify?client_id=intra')).statusCode, 401, 'nginx auth_request gets 401');
  t.equal((await browser.get('/verify?client_id=manage')).statusCode, 403, 'the management client: signed in, but not a manager');

  const ask = await open(browser, '/authorize/intra?rd=https://intra.example.com/');
  t.match(ask.body, /Authentication code/, 'signing in to intra asks only for the code');
  const done = await follow(browser, await browser.submit(ask, { code: totpCode(secret, m.clock.now) }));
  t.equal(done.headers.location, 'https://intra.example.com/');
  t.equal((await browser.get('/verify?client_id=intra')).statusCode, 200, 'now intra lets alice in');
  t.equal((await browser.get('/verify?client_id=intranet')).statusCode, 200, 'and the password-only client still does');
});

t.test('a passed code is remembered on the device for second_factor_totp_code_expires_in', async (t) => {
  const m = await mfaMasks(t);
  const { browser } = await enrol(m);
  m.clock.advance(9 * 60);
  const soon = await open(browser, authorizeUrl(OTHER, { acr_values: 'mfa' }));
  t.ok(codeOf(soon), 'within 10 minutes the same device is not asked again');
  m.clock.advance(2 * 60);
  const later = await open(browser, authorizeUrl(OTHER, { acr_values: 'mfa' }));
  t.match(later.body, /Authentication code/, 'after 10 minutes it is');
  const elsewhere = new InjectBrowser(m.app);
  const otherDevice = await submitPassword(elsewhere, await open(elsewhere, authorizeUrl(MFA)));
  t.match(otherDevice.body, /Authentication code/, 'another device is always asked');
});

t.test('a remembered code does not outlive sign-out, nor count under prompt=login or an older max_age', async (t) => {
  const m = await mfaMasks(t);
  const { browser, secret } = await enrol(m);
  m.clock.advance(60);
  const login = await submitPassword(browser, await open(browser, authorizeUrl(MFA, { prompt: 'login' })));
  t.match(login.body, /Authentication code/, 'prompt=login: the code too');
  m.clock.advance(TOTP_PERIOD);
  const afterLogin = await follow(browser, await browser.submit(login, { code: totpCode(secret, m.clock.now) }));
  t.equal((await exchange(m.app, codeOf(afterLogin))).acr, 'mfa');
  t.same((await m.db.all('select kind, count(*) as n from factors group by kind order by kind')), [{ kind: 'password', n: 1 }, { kind: 'totp', n: 1 }], 'a second sign-in on the device keeps one row per factor: the newest');
  m.clock.advance(60);
  const maxAge = await submitPassword(browser, await open(browser, authorizeUrl(MFA, { max_age: '30' })));
  t.match(maxAge.body, /Authentication code/, 'a code passed longer ago than max_age is asked again');
  const recent = await open(browser, authorizeUrl(OTHER, { max_age: '600', acr_values: 'mfa' }));
  t.ok(codeOf(recent), 'one within max_age counts');

  const bye = await browser.get('/logout');
  await browser.submit(bye, {});
  const afterLogout = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  t.match(afterLogout.body, /Authentication code/, 'after signing out, the next person on this device must pass the code');
});

t.test('a half-finished sign-in reaches no client: prompt=none, consent posted early', async (t) => {
  const m = await mfaMasks(t);
  await enrol(m);
  m.clock.advance(11 * 60);
  const browser = new InjectBrowser(m.app);
  t.ok(codeOf(await submitPassword(browser, await open(browser, authorizeUrl(OTHER)))), 'signed in with the password alone to a client that asks no more');
  const silent = await open(browser, authorizeUrl(MFA, { prompt: 'none' }));
  t.equal(new URL(silent.headers.location as string).searchParams.get('error'), 'interaction_required', 'prompt=none cannot skip the second factor');
  const ask = await open(browser, authorizeUrl(MFA));
  t.match(ask.body, /Authentication code/);
  const attempt = /\/sign-in\/([^/"]+)\/second-factor/.exec(ask.body)![1]!;
  const early = await browser.post(`/sign-in/${attempt}/consent`, { csrf: formOf(ask.body).fields.csrf!, decision: 'allow' });
  t.equal(early.statusCode, 303);
  t.equal(early.headers.location, `/sign-in/${attempt}`, 'a consent posted early is not taken; the code prompt stays');
  const setupPost = await browser.post(`/sign-in/${attempt}/second-factor-setup`, { csrf: formOf(ask.body).fields.csrf!, setup: 'v1.forged', code: '123456' });
  t.equal(setupPost.headers.location, `/sign-in/${attempt}`, 'nor is a setup while one exists');
  t.equal((await m.db.value('select count(*) from authenticators')), 1);
});

t.test('a forged or foreign setup field sets nothing up', async (t) => {
  const m = await mfaMasks(t);
  const alice = new InjectBrowser(m.app);
  const aliceSetup = await submitPassword(alice, await open(alice, authorizeUrl(MFA)));
  const bob = new InjectBrowser(m.app);
  const bobSetup = await submitPassword(bob, await open(bob, authorizeUrl(MFA)), BOB);
  const stolen = await bob.submit(bobSetup, { setup: formOf(aliceSetup.body).fields.setup!, code: totpCode(secretOf(aliceSetup), m.clock.now) });
  t.equal(stolen.statusCode, 401, "alice's setup does not open in bob's sign-in");
  const forged = await alice.submit(aliceSetup, { setup: 'v1.' + Buffer.alloc(60).toString('base64url'), code: '123456' });
  t.equal(forged.statusCode, 401);
  t.equal((await m.db.value('select count(*) from authenticators')), 0);
});

t.test('two tabs setting up at once: the second is asked for the first one’s code instead', async (t) => {
  const m = await mfaMasks(t);
  const browser = new InjectBrowser(m.app);
  const tab1 = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  const tab2 = await submitPassword(browser, await open(browser, authorizeUrl(MFA, { state: 'tab-2' })));
  await browser.submit(tab1, { code: totpCode(secretOf(tab1), m.clock.now) });
  const second = await browser.submit(tab2, { code: totpCode(secretOf(tab2), m.clock.now) });
  t.equal(second.statusCode, 303);
  const next = await follow(browser, second);
  t.ok(next.headers.location ?? next.body.includes('Authentication code'), 'the second tab carries on with the factor set up in the first');
  t.equal((await m.db.value('select count(*) from authenticators')), 1, 'no second authenticator without passing the first');
});

t.test('step-up: acr_values=mfa runs the missing second factor over single sign-on, not the whole sign-in', async (t) => {
  const m = await mfaMasks(t);
  const { secret, browser } = await enrol(m);
  m.clock.advance(11 * 60);
  const discovery = (await m.app.inject({ url: '/.well-known/openid-configuration' })).json();
  t.same(discovery.acr_values_supported, ['pwd', 'mfa', 'phr']);

  const plain = await open(browser, authorizeUrl(OTHER, { acr_values: 'pwd' }));
  const plainClaims = await exchange(m.app, codeOf(plain), OTHER);
  t.equal(plainClaims.acr, 'mfa', 'the session reached mfa when it was made; acr says the level reached');

  const fresh = new InjectBrowser(m.app);
  const pwdOnly = await submitPassword(fresh, await open(fresh, authorizeUrl(OTHER)));
  t.equal((await exchange(m.app, codeOf(pwdOnly), OTHER)).acr, 'pwd');
  const stepUp = await open(fresh, authorizeUrl(OTHER, { acr_values: 'urn:unknown mfa' }));
  t.equal(stepUp.statusCode, 200);
  t.match(stepUp.body, /Authentication code/, 'only the second factor is asked: no password form');
  t.notMatch(stepUp.body, /name="password"/);
  m.clock.advance(TOTP_PERIOD);
  const done = await follow(fresh, await fresh.submit(stepUp, { code: totpCode(secret, m.clock.now) }));
  const claims = await exchange(m.app, codeOf(done), OTHER);
  t.equal(claims.acr, 'mfa');
  t.same(claims.amr, ['pwd', 'otp']);
  const silent = await open(new InjectBrowser(m.app), authorizeUrl(OTHER, { acr_values: 'mfa', prompt: 'none' }));
  t.equal(new URL(silent.headers.location as string).searchParams.get('error'), 'login_required');
});

t.test('with authenticator apps and phones off, setup offers passkeys only; with passkeys off too, a client that demands a second factor says so', async (t) => {
  const onlyPasskeys = await mfaMasks(t, { totp_codes: { enabled: false }, phones: { enabled: false } });
  const passkeyBrowser = new InjectBrowser(onlyPasskeys.app);
  const setup = await submitPassword(passkeyBrowser, await open(passkeyBrowser, authorizeUrl(MFA)));
  t.equal(headingOf(setup.body), 'Add a passkey');
  t.notMatch(setup.body, /otpauth:|Authentication code/);
  t.match(setup.body, /<button type="button" class="" data-webauthn="register" data-options="[^"]+">Add a passkey<\/button>/);
  const m = await mfaMasks(t, { totp_codes: { enabled: false }, webauthn: { enabled: false }, phones: { enabled: false } });
  const browser = new InjectBrowser(m.app);
  const page = await submitPassword(browser, await open(browser, authorizeUrl(MFA)));
  t.equal(page.statusCode, 403);
  t.match(page.body, /offers none you can set up/);
  const web = await open(new InjectBrowser(m.app), authorizeUrl(WEB));
  t.equal(web.statusCode, 200, 'clients that do not demand one are unaffected');
});
