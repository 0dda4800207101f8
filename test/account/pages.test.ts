/** /account through app.inject: a person changes their password, ends another session, withdraws consent; CSRF on every form. */
import t from 'tap';
import { headingOf, InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, BOB, flowMasks, follow, open, signIn, WEB } from '../flows/setup.js';

const csrfOf = (html: string, action: string) => {
  const form = new RegExp(`<form method="post" action="${action.replace(/[/.]/g, '\\$&')}">([\\s\\S]*?)</form>`).exec(html);
  if (!form) throw new Error(`no form ${action}`);
  return /name="csrf" value="([^"]*)"/.exec(form[1]!)![1]!;
};

t.test('/account: sign in, change the password (other sessions end), end a session, withdraw consent', async (t) => {
  const { app, masks } = await flowMasks(t);
  const aliceId = async () => (await masks.store.actors.findByIdentifier('alice'))!.id;
  const laptop = new InjectBrowser(app, 'laptop/1.0');
  const phone = new InjectBrowser(app, 'phone/1.0');
  const toSignIn = await laptop.get('/account');
  t.equal(toSignIn.statusCode, 302);
  t.equal(toSignIn.headers.location, '/authorize/account?rd=/account', 'asks who is there');
  const back = await signIn(laptop, await open(laptop, '/account'), ALICE);
  t.equal(back.headers.location, 'http://localhost:5000/account');
  const page = await laptop.get('/account');
  t.equal(page.statusCode, 200);
  t.equal(headingOf(page.body), 'Your account');
  for (const label of ['Current password', 'New password', 'Confirm new password']) t.match(page.body, `>${label}</label>`, label);

  // A second device, and consent to the web client.
  await signIn(phone, await open(phone, authorizeUrl(WEB)), ALICE);
  t.same((await masks.store.signIns.consentsOf(await aliceId())).map((c) => c.clientId), ['web']);
  const listed = await laptop.get('/account');
  t.match(listed.body, 'phone/1.0', "the phone's session is listed");
  t.match(listed.body, '<td>Web</td>', 'and the app she allowed');

  const csrf = csrfOf(listed.body, '/account/password');
  const forged = await laptop.post('/account/password', { csrf: 'x'.repeat(csrf.length), current: ALICE.password, password: 'a-new-password', confirm: 'a-new-password' });
  t.equal(forged.statusCode, 403, 'a forged form changes nothing');
  const wrong = await laptop.post('/account/password', { csrf, current: 'not-it', password: 'a-new-password', confirm: 'a-new-password' });
  t.equal(wrong.statusCode, 422);
  t.match(wrong.body, 'not your current password');
  t.match((await laptop.post('/account/password', { csrf, current: ALICE.password, password: 'a-new-password', confirm: 'another' })).body, 'not the same');
  t.match((await laptop.post('/account/password', { csrf, current: ALICE.password, password: 'short', confirm: 'short' })).body, 'Choose another password');

  // End the phone's session from the laptop.
  const phoneSession = (await masks.store.signIns.sessionsOf(await aliceId(), masks.clock())).find((s) => s.device?.userAgent === 'phone/1.0')!;
  const ended = await laptop.post(`/account/sessions/${phoneSession.id}/end`, { csrf });
  t.equal(ended.statusCode, 200);
  t.notMatch(ended.body, 'phone/1.0', 'the phone is signed out');
  const bob = new InjectBrowser(app);
  await signIn(bob, await open(bob, '/account'), BOB);
  const bobCsrf = csrfOf((await bob.get('/account')).body, '/account/password');
  const laptopSession = (await masks.store.signIns.sessionsOf(await aliceId(), masks.clock()))[0]!;
  t.equal((await bob.post(`/account/sessions/${laptopSession.id}/end`, { csrf: bobCsrf })).statusCode, 404, "nobody ends someone else's session");
  t.equal((await bob.post(`/account/sessions/${laptopSession.id}/end`, { csrf })).statusCode, 403, "nor with someone else's form");

  const withdrawn = await laptop.post('/account/consents/web/withdraw', { csrf });
  t.match(withdrawn.body, 'Withdrawn');
  const asked = await open(phone, authorizeUrl(WEB));
  const afterPassword = await follow(phone, await phone.submit(asked, { identifier: ALICE.nickname, password: ALICE.password }));
  t.match(afterPassword.body, 'value="allow"', 'the app asks for consent again');

  // The password change: the laptop stays, every other session ends.
  await signIn(phone, await open(phone, '/account'), ALICE);
  t.equal((await phone.get('/account')).statusCode, 200);
  const changed = await laptop.post('/account/password', { csrf, current: ALICE.password, password: 'a-new-password', confirm: 'a-new-password' });
  t.equal(changed.statusCode, 200);
  t.match(changed.body, 'Your password is changed');
  t.equal((await laptop.get('/account')).statusCode, 200, 'this browser stays signed in');
  t.equal((await phone.get('/account')).statusCode, 302, 'the other session ended');
  const fresh = await open(phone, '/account');
  const old = await phone.submit(fresh, { identifier: ALICE.nickname, password: ALICE.password });
  t.match(old.body, 'do not match', 'the old password no longer works');
  t.equal((await signIn(phone, await open(phone, '/account'), { nickname: ALICE.nickname, password: 'a-new-password' })).headers.location, 'http://localhost:5000/account', 'the new one does');
  const events = (await masks.store.events.list({ actorId: await aliceId(), limit: 50 })).map((e) => e.type);
  for (const type of ['password.changed', 'session.ended', 'consent.withdrawn']) t.ok(events.includes(type), type);
});

t.test('/account second factors: add an authenticator app (backup codes once), renew codes, remove; only right after a sign-in', async (t) => {
  const { app, masks, clock } = await flowMasks(t);
  const { totpCode } = await import('../../src/factors/totp.js');
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, '/account'), ALICE);
  const setup = await browser.get('/account/totp');
  t.equal(setup.statusCode, 200);
  t.match(setup.body, /href="otpauth:\/\/totp\//, 'the link an authenticator app opens');
  t.match(setup.body, '>Authentication code</label>');
  const secret = /Or type this key: <code>([A-Z2-7]+)<\/code>/.exec(setup.body)![1]!;
  const csrf = csrfOf(setup.body, '/account/totp');
  const sealed = /name="setup" value="([^"]*)"/.exec(setup.body)![1]!;
  const wrong = await browser.post('/account/totp', { csrf, setup: sealed, code: '000000', name: 'Phone' });
  t.equal(wrong.statusCode, 422);
  t.match(wrong.body, 'does not match');
  t.match(await browser.post('/account/totp', { csrf, setup: sealed.slice(0, -4) + 'AAAA', code: totpCode(secret, clock.now), name: 'Phone' }).then((r) => r.body), 'expired', 'a forged setup is refused');
  const done = await browser.post('/account/totp', { csrf, setup: sealed, code: totpCode(secret, clock.now), name: 'Phone' });
  t.equal(done.statusCode, 200);
  t.equal((done.body.match(/<li><code>/g) ?? []).length, 10, 'the first second factor comes with ten backup codes, shown once');
  t.match((await browser.post('/account/totp', { csrf, setup: sealed, code: totpCode(secret, clock.now + 30), name: 'Phone' })).body, 'set up already', 'a double submit adds nothing');
  const alice = (await masks.store.actors.findByIdentifier('alice'))!;
  const [factor] = await masks.store.factors.authenticators(alice.id);
  t.match(factor, { kind: 'totp', name: 'Phone' });
  const page = await browser.get('/account');
  t.match(page.body, '<td>Phone</td>');
  const renewed = await browser.post('/account/backup-codes', { csrf });
  t.equal((renewed.body.match(/<li><code>/g) ?? []).length, 10, 'a new set');
  t.equal(await masks.store.factors.backupCodesLeft(alice.id), 10);

  // Eleven minutes on, a factor change asks for a fresh sign-in first.
  clock.advance(660);
  const stale = await browser.post(`/account/factors/${factor!.id}/remove`, { csrf });
  t.equal(stale.statusCode, 403);
  t.match(stale.body, 'Confirm it is you');
  t.equal((await masks.store.factors.authenticators(alice.id)).length, 1, 'nothing removed');
  const again = await open(browser, '/authorize/account?rd=/account&prompt=login');
  t.match(again.body, 'Password', 'prompt=login asks for the password even though she is signed in');
  const signedAgain = await browser.submit(again, { identifier: ALICE.nickname, password: ALICE.password });
  t.equal(signedAgain.headers.location, 'http://localhost:5000/account');
  const back = await browser.get('/account');
  // The client of /account asks for no second factor by default: the password alone is the fresh proof.
  t.equal(headingOf(back.body), 'Your account');
  const freshCsrf = csrfOf(back.body, '/account/password');
  t.equal((await browser.post(`/account/factors/${factor!.id}/remove`, { csrf })).statusCode, 403, "the old session's form is out of date");
  const removed = await browser.post(`/account/factors/${factor!.id}/remove`, { csrf: freshCsrf });
  t.equal(removed.statusCode, 200);
  t.same(await masks.store.factors.authenticators(alice.id), []);
  t.equal(await masks.store.factors.backupCodesLeft(alice.id), 0, 'the last one took the backup codes with it');
  t.equal((await browser.post('/account/backup-codes', { csrf: freshCsrf })).statusCode, 409, 'no backup codes without a second factor');
  const types = (await masks.store.events.list({ actorId: alice.id, limit: 50 })).map((e) => e.type);
  for (const type of ['factor.added', 'backup-codes.renewed', 'factor.removed']) t.ok(types.includes(type), type);
});

t.test('/account passkeys: the ceremony needs the form, a recent sign-in, and an answer to its own challenge', async (t) => {
  const { app, clock } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, '/account'), ALICE);
  const page = await browser.get('/account');
  t.match(page.body, 'data-webauthn="register"', 'an Add a passkey button');
  t.match(page.body, '<script src="/assets/webauthn.js" defer></script>', 'with masks’ own script');
  const csrf = csrfOf(page.body, '/account/password');
  t.equal((await browser.post('/account/passkey/options', { purpose: 'register' })).statusCode, 403, 'no CSRF token, no ceremony');
  const options = await browser.post('/account/passkey/options', { csrf, purpose: 'register' });
  t.equal(options.statusCode, 200);
  t.match(JSON.parse(options.body), { challenge: String, rp: { id: 'localhost' }, user: { name: 'alice' }, attestation: 'none' });
  const junk = await browser.post('/account/passkey', { csrf, credential: '{"id":"x"}', name: 'Mine' });
  t.equal(junk.statusCode, 422);
  t.match(junk.body, 'could not be added');
  const forged = JSON.stringify({ id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: JSON.parse(options.body).challenge, origin: 'http://localhost:5000' })).toString('base64url'), attestationObject: 'AAAA' } });
  t.equal((await browser.post('/account/passkey', { csrf, credential: forged, name: 'Mine' })).statusCode, 422, 'an answer that does not verify');
  const bob = new InjectBrowser(app);
  await signIn(bob, await open(bob, '/account'), { nickname: 'bob', password: 'bob-password-123' });
  const bobCsrf = csrfOf((await bob.get('/account')).body, '/account/password');
  t.equal((await bob.post('/account/passkey', { csrf: bobCsrf, credential: forged, name: 'Mine' })).statusCode, 422, "nobody answers someone else's ceremony");
  clock.advance(660);
  t.equal((await browser.post('/account/passkey/options', { csrf, purpose: 'register' })).statusCode, 403, 'ten minutes on, sign in again first');
});

t.test('/account phones: a code to the number, typed back, adds the phone; wrong codes, bad numbers and other ceremonies refused', async (t) => {
  const m = await flowMasks(t);
  const { existsSync, readdirSync, readFileSync } = await import('node:fs');
  const path = await import('node:path');
  const texts = () => {
    const outbox = path.join(m.config.data, 'outbox');
    return existsSync(outbox) ? readdirSync(outbox).filter((n) => n.endsWith('.txt')).sort().map((n) => readFileSync(path.join(outbox, n), 'utf8')) : [];
  };
  const codeOf = async (n: number) => {
    for (let i = 0; i < 100 && texts().length < n; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return /(\d{6}) is your/.exec(texts()[n - 1]!)![1]!;
  };
  const browser = new InjectBrowser(m.app);
  await signIn(browser, await open(browser, '/account'), ALICE);
  const start = await browser.get('/account/phone');
  t.match(start.body, '>Phone number</label>');
  const csrf = csrfOf(start.body, '/account/phone');
  t.match((await browser.post('/account/phone', { csrf, phone: '12345' })).body, 'country code', 'a number without its country code');
  const sent = await browser.post('/account/phone', { csrf, phone: '+44 7700 900123' });
  t.match(sent.body, '>SMS code</label>');
  t.match(sent.body, '•••• •• 23', 'the number, masked');
  const ceremony = /name="ceremony" value="([^"]*)"/.exec(sent.body)![1]!;
  const code = await codeOf(1);
  t.match((await browser.post('/account/phone/code', { csrf, ceremony, code: code === '000000' ? '111111' : '000000' })).body, 'does not match');
  const bob = new InjectBrowser(m.app);
  await signIn(bob, await open(bob, '/account'), { nickname: 'bob', password: 'bob-password-123' });
  const bobCsrf = csrfOf((await bob.get('/account')).body, '/account/password');
  t.match((await bob.post('/account/phone/code', { csrf: bobCsrf, ceremony, code })).body, 'expired', "nobody confirms someone else's phone");
  const done = await browser.post('/account/phone/code', { csrf, ceremony, code });
  t.equal((done.body.match(/<li><code>/g) ?? []).length, 10, 'her first second factor: backup codes');
  const alice = (await m.masks.store.actors.findByIdentifier('alice'))!;
  t.match(await m.masks.store.factors.authenticators(alice.id), [{ kind: 'phone', name: 'Phone ending 23' }]);
  t.notMatch(JSON.stringify(await m.masks.store.factors.authenticators(alice.id)), '7700900123', 'the number is sealed at rest');
  t.match((await browser.post('/account/phone/code', { csrf, ceremony, code })).body, /does not match|used already/, 'the code works once');
});

t.test('freshness is a first factor on this device: a second factor set up in a step-up does not count; a first password needs it too', async (t) => {
  const m = await flowMasks(t);
  const { totpCode } = await import('../../src/factors/totp.js');
  const browser = new InjectBrowser(m.app);
  await signIn(browser, await open(browser, '/account'), ALICE);
  m.clock.advance(660);
  t.equal((await browser.get('/account/totp')).statusCode, 403, 'stale');
  // A step-up on an OAuth client by single sign-on: she sets up an authenticator app there.
  const setup = await open(browser, authorizeUrl(WEB, { acr_values: 'mfa' }));
  t.match(setup.body, 'otpauth://totp/', 'the step-up asks her to set up a second factor, no password');
  const secret = /Or type this key: <code>([A-Z2-7 ]+)<\/code>/.exec(setup.body)![1]!.replace(/ /g, '');
  const notice = await follow(browser, await browser.submit(setup, { code: totpCode(secret, m.clock.now), name: 'Phone' }));
  t.match(notice.body, 'Save your backup codes');
  await signIn(browser, await follow(browser, await browser.get(/action="([^"]+)"/.exec(notice.body)![1]!)), ALICE);
  const account = await open(browser, '/account');
  t.equal(headingOf(account.body), 'Your account');
  const stale = await browser.get('/account/totp');
  t.equal(stale.statusCode, 403, 'a factor just set up is not a fresh sign-in');
  t.match(stale.body, 'Confirm it is you');

  // Someone with no password: the first one is a new credential.
  (await m.db.run("update actors set password_hash = null where nickname = 'alice'"));
  const csrf = csrfOf((await browser.get('/account')).body, '/account/password');
  const refused = await browser.post('/account/password', { csrf, password: 'a-first-password', confirm: 'a-first-password' });
  t.equal(refused.statusCode, 403, 'not on a stale session');
  t.equal((await m.db.value("select password_hash from actors where nickname = 'alice'")), null, 'nothing set');
});
