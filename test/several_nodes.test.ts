/**
 * Two masks nodes on one PostgreSQL behind nginx (upstream round robin): whole flows through
 * the balancer, a code exchanged on the other node, one code redeemed on both at once,
 * revocation and logout on one seen on the other, a rotation published by both, guessing
 * limits counted as one, and a node killed mid-load with nothing acknowledged lost.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import YAML from 'yaml';
import { sha256 } from '../src/security/secrets.js';
import { basic, tempDir } from './helpers/app.js';
import { fetchTransport, formOf, InjectBrowser, redirectQuery, type Page } from './helpers/browser.js';
import { nginxAvailable, startNginx } from './helpers/nginx.js';
import { openPeek } from './helpers/peek.js';
import { freshSchemaUrl, noPostgres } from './helpers/postgres.js';
import { exited, runMasks, startMasksProcess, type Started } from './helpers/process.js';
import { freePort } from './helpers/server.js';
import { ALICE, flowYaml, WEB } from './flows/setup.js';

const auth = basic(WEB.id, WEB.secret);
const form = { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' };

interface Installation {
  /** The balancer's address (the issuer). */
  url: string;
  nodes: Started[];
  dirs: string[];
  dbUrl: string;
}

/** Node A boots first (making the keys and migrating); B gets a copy of its key files, as the README says. */
async function twoNodes(t: Test): Promise<Installation> {
  const dbUrl = freshSchemaUrl(t);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { MASKS_DB_URL: dbUrl, MASKS_URL: url };
  const dirs = [tempDir(t), tempDir(t)];
  for (const dir of dirs) writeFileSync(path.join(dir, 'masks.yml'), YAML.stringify(flowYaml()));
  const a = await startMasksProcess(t, dirs[0]!, env);
  mkdirSync(path.join(dirs[1]!, 'data'), { recursive: true, mode: 0o700 });
  for (const file of ['private.key', 'secret.key']) copyFileSync(path.join(dirs[0]!, 'data', file), path.join(dirs[1]!, 'data', file));
  const b = await startMasksProcess(t, dirs[1]!, env);
  const upstream = [a, b].map((node) => `server ${new URL(node.url).host} max_fails=1 fail_timeout=30s;`).join(' ');
  await startNginx(t, tempDir(t), port, `upstream masks { ${upstream} } server { listen 127.0.0.1:${port}; location / { proxy_pass http://masks; proxy_set_header Host $http_host; } }`);
  return { url, nodes: [a, b], dirs, dbUrl };
}

/** Sign alice in through `base` (every request goes where the balancer sends it) and return the code. */
async function codeVia(base: string, browser = new InjectBrowser(fetchTransport())): Promise<{ code: string; browser: InjectBrowser }> {
  const query = new URLSearchParams({ client_id: WEB.id, response_type: 'code', redirect_uri: WEB.redirect, scope: 'openid profile', state: 's' });
  let page: Page = await browser.get(`${base}/authorize?${query}`);
  const follow = async () => {
    while (page.statusCode >= 300 && page.statusCode < 400 && !String(page.headers.location).startsWith(WEB.redirect)) page = await browser.get(new URL(String(page.headers.location), base).toString());
  };
  await follow();
  if (page.statusCode === 200 && page.body.includes('name="password"')) {
    page = await browser.submit(page, { identifier: ALICE.nickname, password: ALICE.password });
    await follow();
  }
  if (page.statusCode === 200 && page.body.includes('value="allow"')) {
    page = await browser.submit(page, {}, { name: 'decision', value: 'allow' });
    await follow();
  }
  const code = redirectQuery(page).get('code');
  if (!code) throw new Error(`no code: ${page.statusCode} ${page.headers.location} ${page.body.slice(0, 300)}`);
  return { code, browser };
}

const exchange = (base: string, code: string) =>
  fetch(`${base}/token`, { method: 'POST', headers: form, body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: WEB.redirect }) });

t.test('two nodes on one PostgreSQL behind nginx', { skip: noPostgres }, async (t) => {
  if (!nginxAvailable(t)) return;
  const { url, nodes, dirs, dbUrl } = await twoNodes(t);
  const [a, b] = nodes as [Started, Started];

  await t.test('whole sign-ins through the balancer, their steps spread over both nodes', async (t) => {
    for (let i = 0; i < 3; i++) {
      const { code } = await codeVia(url);
      const response = await exchange(url, code);
      t.equal(response.status, 200, `sign-in ${i + 1} ends with tokens`);
    }
  });

  await t.test('a code issued on A is exchanged on B; the same code on both at once has one winner', async (t) => {
    const { code } = await codeVia(a.url);
    const tokens = (await (await exchange(b.url, code)).json()) as { access_token: string; refresh_token?: string };
    t.ok(tokens.access_token, 'the code from A buys tokens on B');
    const userinfo = await fetch(`${a.url}/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    t.equal(userinfo.status, 200, "and B's access token works on A");

    let wins = 0;
    for (let round = 0; round < 5; round++) {
      const { code: contested } = await codeVia(url);
      const answers = await Promise.all([a, b, a, b].map((node) => exchange(node.url, contested)));
      const statuses = answers.map((answer) => answer.status).sort();
      t.same(statuses, [200, 400, 400, 400], `round ${round + 1}: one winner across the nodes, the others invalid_grant`);
      wins += statuses.filter((status) => status === 200).length;
    }
    t.equal(wins, 5);
  });

  await t.test('a revocation or a logout on one node holds on the other at once', async (t) => {
    const issued = (await (await fetch(`${a.url}/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' })).json()) as { access_token: string };
    const introspect = (node: Started) =>
      fetch(`${node.url}/introspect`, { method: 'POST', headers: form, body: `token=${issued.access_token}` }).then((r) => r.json() as Promise<{ active: boolean }>);
    t.equal((await introspect(b)).active, true, 'issued on A, active on B');
    t.equal((await fetch(`${a.url}/revoke`, { method: 'POST', headers: form, body: `token=${issued.access_token}` })).status, 200);
    t.equal((await introspect(b)).active, false, 'revoked on A: inactive on B at the next request');

    const { browser } = await codeVia(a.url);
    const again = new URLSearchParams({ client_id: WEB.id, response_type: 'code', redirect_uri: WEB.redirect, scope: 'openid profile', state: 's2' });
    const sso = await browser.get(`${b.url}/authorize?${again}`);
    t.match(String(sso.headers.location), WEB.redirect, 'the session begun on A signs in on B (single sign-on)');
    const logout = await browser.get(`${a.url}/logout`);
    t.ok(logout.statusCode < 500, 'logout on A');
    if (logout.body.includes('<form')) await browser.submit(logout, {});
    const after = await browser.get(`${b.url}/authorize?${again}`);
    t.notMatch(String(after.headers.location ?? ''), WEB.redirect, 'after logout on A, B asks for a sign-in');
  });

  await t.test('a key rotation on one node is published by both', async (t) => {
    const before = ((await (await fetch(`${b.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    const rotated = runMasks(dirs[0]!, ['keys', 'rotate'], { MASKS_DB_URL: dbUrl, MASKS_URL: url });
    t.equal(rotated.code, 0, rotated.stderr);
    const fresh = rotated.stdout.trim().split('\n').map((line) => line.split(' ')[1]!);
    let published: string[] = [];
    for (let i = 0; i < 50 && !fresh.every((kid) => published.includes(kid)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      published = ((await (await fetch(`${b.url}/jwks`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    }
    t.ok(fresh.every((kid) => published.includes(kid)), "B's JWKS has the keys rotated in by A's CLI");
    t.ok(before.every((kid) => published.includes(kid)), 'and still the old ones, for what they signed');
  });

  await t.test('guessing limits are shared: a burst of 40 wrong passwords spread over both nodes gets 6 checked', async (t) => {
    const browser = new InjectBrowser(fetchTransport());
    const query = new URLSearchParams({ client_id: WEB.id, response_type: 'code', redirect_uri: WEB.redirect, scope: 'openid', state: 'g', prompt: 'login' });
    let page = await browser.get(`${a.url}/authorize?${query}`);
    while (page.statusCode >= 300 && page.statusCode < 400) page = await browser.get(new URL(String(page.headers.location), a.url).toString());
    const form = formOf(page.body);
    const action = new URL(form.action, a.url).pathname;
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => browser.post(`${[a, b][i % 2]!.url}${action}`, { ...form.fields, identifier: ALICE.nickname, password: `guess-${i}` })));
    t.equal(answers.filter((answer) => answer.statusCode === 401).length, 6, 'five free guesses and the one that starts the wait, not six per node');
    t.equal(answers.filter((answer) => answer.statusCode === 429).length, 34, 'the rest refused before any hashing, on either node');
  });

  await t.test('kill -9 of a node mid-load: every token acknowledged by either is stored; the other serves on', async (t) => {
    const acknowledged: string[] = [];
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const response = await fetch(`${url}/token`, { method: 'POST', headers: form, body: 'grant_type=client_credentials' }).catch(() => undefined);
        if (response?.status === 200) acknowledged.push(((await response.json()) as { access_token: string }).access_token);
        else await response?.body?.cancel();
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    while (acknowledged.length < 200) await new Promise((resolve) => setTimeout(resolve, 10));
    a.child.kill('SIGKILL');
    t.equal(await exited(a.child), 'SIGKILL');
    const atKill = acknowledged.length;
    while (acknowledged.length < atKill + 100) await new Promise((resolve) => setTimeout(resolve, 10));
    stop = true;
    await Promise.all(workers);
    t.ok(acknowledged.length >= atKill + 100, 'B went on serving through the balancer');
    const peek = openPeek(dbUrl);
    t.teardown(() => peek.close());
    const stored = new Set(await peek.column<string>('select hash from tokens'));
    const lost = acknowledged.filter((token) => !stored.has(sha256(token)));
    t.same(lost, [], `all ${acknowledged.length} tokens acknowledged (${atKill} before the kill) are stored`);
  });
});

t.test('three nodes starting together on a new database: all come up, and the first manager and the seeds are made once', { skip: noPostgres }, async (t) => {
  const dbUrl = freshSchemaUrl(t);
  const env = { MASKS_DB_URL: dbUrl };
  const dirs = [tempDir(t), tempDir(t), tempDir(t)];
  for (const dir of dirs) writeFileSync(path.join(dir, 'masks.yml'), YAML.stringify(flowYaml({ manager: {} })));
  // The key files every node must share (the README's first step), made without starting anyone.
  t.equal(runMasks(dirs[0]!, ['keys', 'rotate'], env).code, 0);
  for (const dir of dirs.slice(1)) {
    mkdirSync(path.join(dir, 'data'), { recursive: true, mode: 0o700 });
    for (const file of ['private.key', 'secret.key']) copyFileSync(path.join(dirs[0]!, 'data', file), path.join(dir, 'data', file));
  }
  const nodes = await Promise.all(dirs.map((dir) => startMasksProcess(t, dir, env)));
  t.equal(nodes.length, 3, 'every node came up');
  const peek = openPeek(dbUrl);
  t.teardown(() => peek.close());
  t.equal(await peek.value("select count(*) from actors where nickname = 'manager'"), 1, 'one first manager');
  t.equal(await peek.value("select count(*) from actors where nickname = 'alice'"), 1, 'each seeded actor once');
  const printed = nodes.map((node) => node.stdout()).filter((out) => /created the first manager/.test(out));
  t.equal(printed.length, 1, "one node made the manager and printed the password; the others found it");
});
