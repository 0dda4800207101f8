/**
 * masks export and masks import on real SQLite files: everything moved into a fresh
 * installation (same secret.key and private key) works from outside as before: the client's
 * secret, the person's password, authenticator app, backup codes, verified address and
 * consent, and the same `sub`. Refusals: test/cli_import_refusals.test.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { totpCode, TOTP_PERIOD } from '../src/factors/totp.js';
import { basic, FakeClock, makeMasks, post, tempDir } from './helpers/app.js';
import { InjectBrowser } from './helpers/browser.js';
import { ALICE, cli, idTokenOf, MANAGER, oldInstallation, signInWithPassword, VAULT, withKeysOf } from './helpers/export.js';
import { follow } from './flows/setup.js';

t.test('export, then import into a fresh installation: the client, the password, the authenticator app, backup codes, consent and sub carry over', async (t) => {
  const old = await oldInstallation(t);
  const file = path.join(tempDir(t), 'masks-export.json');
  const exported = cli(old.m, ['export', '--to', file]);
  t.equal(exported.code, 0, exported.stderr);
  t.match(exported.stdout, `masks: exported 1 clients and 2 actors to ${file}`);
  t.equal(statSync(file).mode & 0o777, 0o600, 'the file is readable by its owner only');
  const text = readFileSync(file, 'utf8');
  for (const secret of [VAULT.secret, ALICE.password, old.secret, ...old.backupCodes]) t.notMatch(text, secret, 'no secret in the clear');
  const parsed = JSON.parse(text);
  t.equal(parsed.masks_export, 1);
  t.same(parsed.clients.map((c: { id: string }) => c.id), ['vault'], "masks' own clients stay behind");
  const again = cli(old.m, ['export', '--to', file]);
  t.equal(again.code, 1, 'never over an existing file');
  t.equal(again.stderr, `masks: ${file} exists; export to a new file\n`);
  t.equal(readFileSync(file, 'utf8'), text);

  // The new installation: keys copied, the import before its first start.
  const dir = withKeysOf(t, old.m);
  const imported = cli({ dir }, ['import', '--from', file]);
  t.equal(imported.code, 0, imported.stderr);
  t.equal(imported.stdout, `masks: imported 1 clients and 2 actors from ${file}\n`);
  const m = await makeMasks(t, { dir, yaml: MANAGER, clock: new FakeClock(old.m.clock.now + 3 * TOTP_PERIOD) });
  t.notOk(m.announced.some((line) => line.includes('first manager')), 'the imported manager is the manager: no new one');
  const aliceBefore = (await old.m.masks.store.actors.findByIdentifier(ALICE.nickname))!;
  t.match(await m.masks.store.actors.findByIdentifier(ALICE.email), { id: aliceBefore.id, publicUuid: aliceBefore.publicUuid, emails: aliceBefore.emails });

  const token = await post(m.app, '/token', { grant_type: 'client_credentials', scope: 'api' }, basic(VAULT.id, VAULT.secret));
  t.equal(token.statusCode, 200, `the client's secret works: ${token.body}`);

  const browser = new InjectBrowser(m.app);
  const ask = await signInWithPassword(browser);
  t.match(ask.body, /<label for="code">Authentication code<\/label>/, 'the password works, and the authenticator app is asked for');
  const done = await follow(browser, await browser.submit(ask, { code: totpCode(old.secret, m.clock.now) }));
  const claims = await idTokenOf(m, done);
  t.equal(claims.sub, old.sub, 'the same sub: no consent or address check asked again');
  t.same(claims.amr, ['pwd', 'otp']);

  const other = new InjectBrowser(m.app);
  const ask2 = await signInWithPassword(other);
  const backupPage = await other.get(/href="([^"]+)">Use a backup code/.exec(ask2.body)![1]!.replace(/&amp;/g, '&'));
  const notice = await other.submit(backupPage, { code: old.backupCodes[0]! });
  t.match(notice.body, /You have 9 backup codes left\./, 'a backup code works');

  // Importing again into the installation that now has them: refused, nothing written.
  const rows = () => Promise.all(['clients', 'actors', 'emails', 'authenticators', 'backup_codes', 'consents'].map((table) => m.db.value(`select count(*) from ${table}`)));
  const before = await rows();
  const twice = cli({ dir }, ['import', '--from', file]);
  t.equal(twice.code, 1);
  t.match(twice.stderr, /^masks: nothing imported: already here: client id "vault", actor id "[^"]+", public-uuid "[^"]+", nickname "(alice|manager)", /);
  t.same(await rows(), before, 'nothing written');
});
