/**
 * The passkey ceremony's options endpoint and answers over app.inject (whole ceremonies
 * with authenticators run in Chromium: test/browser/passkeys.test.ts).
 */
import t from 'tap';
import { makeMasks } from '../helpers/app.js';
import { formOf, headingOf, InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, flowYaml, follow, open, OTHER } from './setup.js';

t.test('options come only for a ceremony the sign-in asks for now, with the CSRF token, from masks as relying party', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml({ name: 'Acme' }) });
  const browser = new InjectBrowser(m.app);
  const page = await open(browser, authorizeUrl(OTHER));
  t.match(page.body, /<script src="\/assets\/webauthn.js" defer><\/script>/);
  t.match(page.headers['content-security-policy'], /script-src 'self'/);
  t.notMatch(page.body, /<script>/, 'nothing inline');
  const passkeyForm = /<form method="post" action="([^"]+)" class="passkey">\s*<input type="hidden" name="csrf" value="([^"]+)">/.exec(page.body)!;
  const optionsUrl = /data-options="([^"]+)"/.exec(page.body)![1]!;
  t.match(page.body, /<button type="button" class="secondary" data-webauthn="passwordless" data-options="[^"]+">Use a passkey<\/button>/);

  const ask = (fields: Record<string, string>) => browser.post(optionsUrl, fields);
  t.equal((await ask({ purpose: 'passwordless' })).statusCode, 403, 'no CSRF token: refused');
  t.equal((await ask({ csrf: passkeyForm[2]!, purpose: 'register' })).statusCode, 409, 'a ceremony the sign-in is not asking for');
  t.equal((await ask({ csrf: passkeyForm[2]!, purpose: 'nonsense' })).statusCode, 409);
  const first = await ask({ csrf: passkeyForm[2]!, purpose: 'passwordless' });
  t.equal(first.statusCode, 200);
  t.equal(first.headers['cache-control'], 'no-store');
  const options = first.json();
  t.match(options, { rpId: 'localhost', userVerification: 'required', allowCredentials: [] });
  t.ok(options.challenge.length >= 32);
  const second = (await ask({ csrf: passkeyForm[2]!, purpose: 'passwordless' })).json();
  const stored = (await m.db.column('select challenge from challenges where used_at is null'));
  t.same(stored, [second.challenge], 'a new ceremony replaces the unused challenge of the last one');

  const answer = JSON.stringify({ id: 'nope', rawId: 'nope', type: 'public-key', response: { clientDataJSON: Buffer.from(JSON.stringify({ type: 'webauthn.get', challenge: second.challenge, origin: 'http://localhost:5000' })).toString('base64url'), authenticatorData: 'AA', signature: 'AA' } });
  const forged = await browser.post(passkeyForm[1]!, { ...formOf(page.body).fields, csrf: passkeyForm[2]!, via: 'passkey', credential: answer });
  t.equal(forged.statusCode, 401, 'an answer from a credential masks does not know');
  t.match(forged.body, /That passkey is not known here/);
  for (const junk of ['', '{', '[]', 'x'.repeat(40_000), JSON.stringify({ id: 1 })]) {
    const response = await browser.post(passkeyForm[1]!, { csrf: passkeyForm[2]!, via: 'passkey', credential: junk });
    t.equal(response.statusCode, 401, `junk answer (${junk.length} characters): a page, not a 500`);
  }
});

t.test('acr_values=phr for someone with no second factor: only a passkey may be set up', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml() });
  const browser = new InjectBrowser(m.app);
  const page = await open(browser, authorizeUrl(OTHER, { acr_values: 'phr' }));
  const setup = await follow(browser, await browser.submit(page, { identifier: ALICE.nickname, password: ALICE.password }));
  t.equal(headingOf(setup.body), 'Add a passkey');
  t.notMatch(setup.body, /otpauth:|Phone number|Authentication code/);
  const csrf = formOf(setup.body).fields.csrf!;
  const forced = await browser.post(formOf(setup.body).action, { csrf, method: 'phone', phone: '+447700900123' });
  t.equal(forced.statusCode, 303, 'a phone posted anyway is not taken');
  t.equal((await m.db.value('select count(*) from login_links')), 0, 'and nothing is sent');
});

t.test('turned off, no passkey button and no options', async (t) => {
  const m = await makeMasks(t, { yaml: flowYaml({ passkeys: { enabled: false } }) });
  const browser = new InjectBrowser(m.app);
  const page = await open(browser, authorizeUrl(OTHER));
  t.notMatch(page.body, /Use a passkey|webauthn\.js/);
  const csrf = formOf(page.body).fields.csrf!;
  t.equal((await browser.post(`${formOf(page.body).action.replace(/\/credentials$/, '')}/webauthn`, { csrf, purpose: 'passwordless' })).statusCode, 409);
});
