/** An installation to export from, and what moving it needs (test/cli_export.test.ts, test/cli_import_refusals.test.ts). */
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt } from 'jose';
import type { Test } from 'tap';
import { addClient } from '../../src/clients/service.js';
import { totpCode } from '../../src/factors/totp.js';
import { basic, makeMasks, post, tempDir, type TestMasks } from './app.js';
import { formOf, InjectBrowser, type Page } from './browser.js';
import { runMasks } from './process.js';
import { authorizeUrl, codeOf, follow, open } from '../flows/setup.js';

export const VAULT = { id: 'vault', secret: 'vault-secret-that-is-at-least-32-characters', redirect: 'https://vault.example/cb' };
export const ALICE = { nickname: 'alice', email: 'alice@example.com', password: 'alice-password' };
export const MANAGER = { manager: { password: 'manager-password' } };

export const cli = (m: { dir: string }, args: string[]) => runMasks(m.dir, args, { MASKS_DATA: path.join(m.dir, 'data') });

/** A new installation folder holding the old one's installation secret and private key, as the README says to copy them. */
export function withKeysOf(t: Test, old: TestMasks) {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'data'), { mode: 0o700 });
  for (const file of ['secret.key', 'private.key']) copyFileSync(path.join(path.dirname(old.config.private_key), file), path.join(dir, 'data', file));
  return dir;
}

export const idTokenOf = async (m: TestMasks, done: Page) => {
  const response = await post(m.app, '/token', { grant_type: 'authorization_code', code: codeOf(done), redirect_uri: VAULT.redirect }, basic(VAULT.id, VAULT.secret));
  if (response.statusCode !== 200) throw new Error(response.body);
  return decodeJwt(response.json().id_token as string);
};

export const signInWithPassword = async (browser: InjectBrowser) => follow(browser, await browser.submit(await open(browser, authorizeUrl(VAULT, { scope: 'openid email' })), { identifier: ALICE.nickname, password: ALICE.password }));

/** The old installation: a confidential client demanding a second factor, consent and a verified address; alice signed in once. */
export async function oldInstallation(t: Test) {
  const m = await makeMasks(t, { yaml: { ...MANAGER, seeds: { actors: [{ nickname: ALICE.nickname, email: ALICE.email, password: ALICE.password }] } } });
  await addClient(m.masks, {
    id: VAULT.id,
    name: 'Vault',
    secret: VAULT.secret,
    redirect_uris: [VAULT.redirect],
    overrides: { client_type: 'confidential', checks: ['device', 'credentials', 'second-factor', 'client-consent', 'verified-email'], scopes: { allowed: ['openid', 'email', 'api'] } },
  });
  const browser = new InjectBrowser(m.app);
  const setup = await signInWithPassword(browser);
  const secret = new URL(/href="(otpauth:\/\/totp\/[^"]+)"/.exec(setup.body)![1]!.replace(/&amp;/g, '&')).searchParams.get('secret')!;
  const codesPage = await browser.submit(setup, { code: totpCode(secret, m.clock.now), name: 'Phone' });
  const backupCodes = [...codesPage.body.matchAll(/<li><code>([^<]+)<\/code><\/li>/g)].map((match) => match[1]!);
  const consent = await follow(browser, await browser.get(formOf(codesPage.body).action));
  t.match(consent.body, 'value="allow"', 'the old installation asks for consent once');
  const done = await follow(browser, await browser.submit(consent, {}, { name: 'decision', value: 'allow' }));
  const claims = await idTokenOf(m, done);
  return { m, secret, backupCodes, sub: claims.sub };
}
