/**
 * Limits on guessing passwords (NIST SP 800-63B 5.2.2): counted before the slow check,
 * keyed by actor, IPv6 by /64, bounded in memory, and never a way to lock the real person
 * out of a device they have signed in on before.
 */
import t from 'tap';
import { makeMasks } from '../helpers/app.js';
import { formOf, InjectBrowser, type Page } from '../helpers/browser.js';
import { ALICE, authorizeUrl, flowYaml, open, OTHER } from './setup.js';

const proxied = (t: Parameters<typeof makeMasks>[0]) => makeMasks(t, { yaml: flowYaml({ trust_proxy: ['127.0.0.1'] }) });

/** Open the sign-in page and submit one guess, from `ip` when given (behind the trusted proxy). */
async function guess(browser: InjectBrowser, identifier: string, password: string, ip?: string): Promise<Page> {
  const page = await open(browser, authorizeUrl(OTHER, { prompt: 'login' }));
  const form = formOf(page.body);
  return browser.post(form.action, { ...form.fields, identifier, password }, ip ? { 'x-forwarded-for': ip } : {});
}

t.test('a burst of 40 parallel guesses gets 6 checked, not more', async (t) => {
  const { app } = await makeMasks(t, { yaml: flowYaml() });
  const browser = new InjectBrowser(app);
  const page = await open(browser, authorizeUrl(OTHER));
  const form = formOf(page.body);
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => browser.post(form.action, { ...form.fields, identifier: 'alice', password: `guess-${i}` })));
  const checked = answers.filter((a) => a.statusCode === 401).length;
  t.equal(checked, 6, 'five free guesses and the one that starts the wait');
  t.equal(answers.filter((a) => a.statusCode === 429).length, 34, 'the rest refused before any hashing');
  t.ok(answers.filter((a) => a.statusCode === 429).every((a) => Number(a.headers['retry-after']) > 0), 'with Retry-After');
});

t.test('every identifier of a person shares one count', async (t) => {
  const { app } = await proxied(t);
  const browser = new InjectBrowser(app);
  for (let i = 0; i < 6; i++) t.equal((await guess(browser, 'alice', 'wrong', `198.51.100.${i}`)).statusCode, 401);
  const byEmail = await guess(browser, ALICE.email, 'wrong', '198.51.100.99');
  t.equal(byEmail.statusCode, 429, 'alice@… gets no fresh guesses after alice is slowed down');
  const upper = await guess(browser, 'ALICE', 'wrong', '198.51.100.98');
  t.equal(upper.statusCode, 429, 'nor does ALICE');
});

t.test('an unknown name is limited exactly like a known one (no enumeration by limits)', async (t) => {
  const { app } = await proxied(t);
  const known = new InjectBrowser(app);
  const unknown = new InjectBrowser(app);
  const knownCodes: number[] = [];
  const unknownCodes: number[] = [];
  for (let i = 0; i < 8; i++) {
    knownCodes.push((await guess(known, 'alice', 'wrong', `198.51.100.${i}`)).statusCode);
    unknownCodes.push((await guess(unknown, 'nobody-at-all', 'wrong', `203.0.113.${i}`)).statusCode);
  }
  t.same(unknownCodes, knownCodes);
  t.same(knownCodes, [401, 401, 401, 401, 401, 401, 429, 429]);
});

t.test('IPv6 addresses count by /64', async (t) => {
  const { app } = await proxied(t);
  const browser = new InjectBrowser(app);
  for (let i = 1; i <= 6; i++) t.equal((await guess(browser, `user${i}`, 'wrong', `2001:db8:1:2::${i}`)).statusCode, 401);
  t.equal((await guess(browser, 'user7', 'wrong', '2001:db8:1:2:ffff::7')).statusCode, 429, 'another address of the same /64');
  t.equal((await guess(browser, 'user8', 'wrong', '2001:db8:1:3::1')).statusCode, 401, 'another /64 is another address');
});

t.test("a stranger's failures never stop the person on a device they signed in on before", async (t) => {
  const { app, clock } = await proxied(t);
  const person = new InjectBrowser(app);
  t.equal((await guess(person, 'alice', ALICE.password, '192.0.2.10')).statusCode, 303, 'alice signs in once on her laptop');
  const attacker = new InjectBrowser(app);
  let failures = 0;
  let refusal: Page | undefined;
  for (let i = 0; failures < 100 && i < 400; i++) {
    const answer = await guess(attacker, 'alice', `guess-${i}`, `203.0.${i % 250}.${i % 7}`);
    if (answer.statusCode === 401) failures++;
    else {
      t.equal(answer.statusCode, 429);
      clock.advance(Number(answer.headers['retry-after']));
    }
  }
  t.equal(failures, 100, 'the attacker was slowed down, one failure at a time');
  refusal = await guess(attacker, 'alice', 'guess-101', '203.0.113.200');
  t.equal(refusal.statusCode, 429, 'after 100 failures in a row, no more guesses from new devices');
  t.ok(Number(refusal.headers['retry-after']) > 3600, 'for about a day');
  const back = await guess(person, 'alice', ALICE.password, '192.0.2.10');
  t.equal(back.statusCode, 303, 'alice still signs in on her laptop');
  const theirOwn = new InjectBrowser(app);
  t.equal((await guess(theirOwn, 'alice', 'guess-102', '203.0.113.201')).statusCode, 401, "alice's success ended the run of failures");
});

t.test('what the limits keep is bounded whatever is typed', async (t) => {
  const { app, masks, db } = await makeMasks(t, { yaml: flowYaml() });
  const browser = new InjectBrowser(app);
  t.equal((await guess(browser, 'x'.repeat(4000), 'wrong')).statusCode, 401);
  // The counts kept: in the database's table on PostgreSQL, in the memory counters' limiters on SQLite.
  const inMemory = masks.store.limits as unknown as { limiters?: Map<string, { entries: Map<string, unknown> }> };
  const keys = inMemory.limiters ? [...inMemory.limiters.values()].flatMap((limiter) => [...limiter.entries.keys()]) : await db.column<string>('select key from limit_counts');
  t.ok(keys.length >= 2, 'the failure was counted');
  t.ok(keys.every((key) => key.length <= 100), `keys stay short: ${keys.map((k) => k.length).join(', ')}`);
});
