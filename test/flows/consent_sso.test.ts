/**
 * Consent after single sign-on, growing scopes, prompt=consent and max_age=0: the paths a
 * person takes once they are already signed in to another app.
 */
import t from 'tap';
import { basic, post } from '../helpers/app.js';
import { headingOf, InjectBrowser, redirectQuery } from '../helpers/browser.js';
import { ALICE, authorizeUrl, BOB, codeOf, flowMasks, follow, open, OTHER, signIn, WEB } from './setup.js';

const allow = (browser: InjectBrowser, page: Parameters<InjectBrowser['submit']>[0]) => browser.submit(page, {}, { name: 'decision', value: 'allow' });

async function exchange(app: Parameters<typeof post>[0], code: string) {
  const tokens = (await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: WEB.redirect }, basic(WEB.id, WEB.secret))).json();
  return JSON.parse(Buffer.from(tokens.id_token.split('.')[1], 'base64url').toString()) as { sub: string; auth_time: number };
}

t.test('signed in to one app, a person consents to a second app and gets a code', async (t) => {
  const { app, masks, clock } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const signedInAt = clock.now;
  codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  clock.advance(60);
  const consent = await open(browser, authorizeUrl(WEB));
  t.equal(consent.statusCode, 200);
  t.equal(headingOf(consent.body), 'Allow Web?', 'single sign-on: no password, straight to consent');
  const done = await follow(browser, await allow(browser, consent));
  t.equal(done.statusCode, 303, 'Allow after single sign-on finishes the sign-in');
  const claims = await exchange(app, codeOf(done));
  t.equal(claims.auth_time, signedInAt, 'auth_time is when the password was entered, not now');
  t.same(await masks.store.signIns.consentedScopes((await masks.store.actors.findByIdentifier('alice'))!.id, WEB.id), ['openid', 'profile']);
});

t.test('the same app asking for more scopes: asked again after single sign-on, and Allow works', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  codeOf(await signIn(browser, await open(browser, authorizeUrl(WEB))));
  const more = await open(browser, authorizeUrl(WEB, { scope: 'openid profile email' }));
  t.equal(headingOf(more.body), 'Allow Web?');
  t.match(more.body, /email/);
  const done = await follow(browser, await allow(browser, more));
  t.ok(codeOf(done), 'a code for the grown scopes');
  t.equal((await open(browser, authorizeUrl(WEB, { scope: 'openid profile email' }))).statusCode, 302, 'remembered: not asked a third time');
});

t.test('consent and the code concern one person, even when the session changes hands in another tab', async (t) => {
  const { app, masks } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  const consent = await open(browser, authorizeUrl(WEB)); // bound to alice by her session
  t.equal(headingOf(consent.body), 'Allow Web?');
  // In another tab, bob signs in on the same browser: alice's session ends.
  codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER, { prompt: 'login' })), BOB));
  const stale = await allow(browser, consent);
  t.equal(stale.statusCode, 303);
  const page = await follow(browser, stale);
  t.equal(headingOf(page.body), 'Sign in to Web', "bob's session does not carry alice's sign-in: the form again");
  const alice = (await masks.store.actors.findByIdentifier('alice'))!;
  const bob = (await masks.store.actors.findByIdentifier('bob'))!;
  t.same(await masks.store.signIns.consentedScopes(alice.id, WEB.id), [], 'no consent recorded for alice from a stale page');
  t.same(await masks.store.signIns.consentedScopes(bob.id, WEB.id), [], 'nor for bob, who never saw it');
  // Bob now signs in on that form: he is asked for consent himself, and the code is his.
  const asked = await follow(browser, await browser.submit(page, { identifier: BOB.nickname, password: BOB.password }));
  t.equal(headingOf(asked.body), 'Allow Web?', 'a different person must consent for themselves');
  const claims = await exchange(app, codeOf(await follow(browser, await allow(browser, asked))));
  t.same(await masks.store.signIns.consentedScopes(bob.id, WEB.id), ['openid', 'profile']);
  const { subjectFor } = await import('../../src/oauth/subjects.js');
  t.equal(claims.sub, subjectFor(masks, (await masks.store.clients.find(WEB.id))!, bob), 'the code is for the one who consented');
});

t.test('a consent form posted when the checks do not ask for consent is not taken', async (t) => {
  const { app, db } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, authorizeUrl(WEB));
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const action = /action="([^"]+)"/.exec(page.body)![1]!.replace('/credentials', '/consent');
  const early = await browser.post(action, { csrf, decision: 'allow' });
  t.equal(early.statusCode, 303);
  t.equal(headingOf((await follow(browser, early)).body), 'Sign in to Web', 'still the sign-in form');
  t.equal((await db.value('select count(*) from consents')), 0);
});

t.test('prompt=consent asks even a client whose checks lack client-consent (OIDC Core 3.1.2.1)', async (t) => {
  const { app, masks } = await flowMasks(t);
  t.notOk((await masks.store.clients.find(OTHER.id))!.settings.checks.includes('client-consent'), 'the default checks');
  const browser = new InjectBrowser(app);
  codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  const asked = await open(browser, authorizeUrl(OTHER, { prompt: 'consent' }));
  t.equal(asked.statusCode, 200);
  t.equal(headingOf(asked.body), 'Allow Other?');
  const denied = await browser.submit(asked, {}, { name: 'decision', value: 'deny' });
  t.equal(redirectQuery(denied).get('error'), 'access_denied');
  const fresh = new InjectBrowser(app);
  const page = await open(fresh, authorizeUrl(OTHER, { prompt: 'consent' }));
  const afterPassword = await follow(fresh, await fresh.submit(page, { identifier: 'alice', password: ALICE.password }));
  t.equal(headingOf(afterPassword.body), 'Allow Other?', 'after the password too');
  t.ok(codeOf(await follow(fresh, await allow(fresh, afterPassword))));
  const silent = await open(browser, authorizeUrl(OTHER, { prompt: 'none' }));
  t.ok(codeOf(silent), 'prompt=none still works for the client without consent');
});

t.test('max_age=0 in the same second as the sign-in asks for the password again', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  codeOf(await signIn(browser, await open(browser, authorizeUrl(OTHER))));
  const again = await open(browser, authorizeUrl(OTHER, { max_age: '0' }));
  t.equal(again.statusCode, 200);
  t.equal(headingOf(again.body), 'Sign in to Other');
  const none = await open(browser, authorizeUrl(OTHER, { max_age: '0', prompt: 'none' }));
  t.equal(redirectQuery(none).get('error'), 'login_required');
});
