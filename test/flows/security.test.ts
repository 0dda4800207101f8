import type { InjectOptions } from 'fastify';
import t from 'tap';
import { hash } from '@node-rs/argon2';
import { hashPassword } from '../../src/factors/password.js';
import { sha256 } from '../../src/security/secrets.js';
import { makeMasks } from '../helpers/app.js';
import { InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, flowMasks, flowYaml, open, OTHER, signIn } from './setup.js';

t.test('on https: __Host- cookies, Secure, HttpOnly, SameSite=Lax, 128+ bits', async (t) => {
  const { app, masks, db } = await makeMasks(t, { yaml: flowYaml({ url: 'https://id.example.com', cookie_domain: '' }) });
  const browser = new InjectBrowser(app);
  const done = await browser.submit(await open(browser, authorizeUrl(OTHER)), { identifier: 'alice', password: ALICE.password });
  const all = [...((await app.inject(authorizeUrl(OTHER))).cookies as never[]), ...(done.cookies as never[])] as Array<{ name: string; value: string; secure?: boolean; httpOnly?: boolean; sameSite?: string; path?: string; domain?: string }>;
  const device = all.find((c) => c.name === '__Host-masks_device');
  const session = all.find((c) => c.name === '__Host-masks_session');
  for (const cookie of [device, session]) {
    t.ok(cookie, 'prefixed');
    t.equal(cookie!.secure, true);
    t.equal(cookie!.httpOnly, true);
    t.equal(cookie!.sameSite, 'Lax');
    t.equal(cookie!.path, '/');
    t.notOk(cookie!.domain, 'host-only');
  }
  t.ok(Buffer.from(session!.value, 'base64url').length >= 16, 'at least 128 bits');
  const stored = (await db.column('select hash from sessions')) as string[];
  t.same(stored, [sha256(session!.value)], 'an opaque reference: the server keeps only its SHA-256');
  const [deviceId, signature] = device!.value.split('.');
  t.equal(signature, masks.keyed.hash(deviceId!, 'device'), 'the device cookie is signed with the installation key');
  const internal = new InjectBrowser(app);
  const internalDone = await internal.submit(await open(internal, '/authorize/intranet'), { identifier: 'alice', password: ALICE.password });
  const hostOnly = (internalDone.cookies as Array<{ name: string; secure?: boolean; domain?: string }>).find((c) => c.name.endsWith('masks_internal'));
  t.equal(hostOnly?.name, '__Host-masks_internal', 'the internal cookie is host-only with cookie_domain blank: __Host- too');
  t.equal(hostOnly?.secure, true);
  t.notOk(hostOnly?.domain);
  t.equal((await internal.get('/verify')).statusCode, 200, '/verify reads it under its prefixed name');
});

t.test('old argon2 parameters are rehashed at sign-in', async (t) => {
  const { app, masks, db } = await flowMasks(t);
  const alice = (await masks.store.actors.findByIdentifier('alice'))!;
  const weak = await hash(ALICE.password.normalize('NFKC'), { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
  (await db.run('update actors set password_hash = ? where id = ?', weak, alice.id));
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, authorizeUrl(OTHER)));
  t.match((await masks.store.actors.find(alice.id))!.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});

t.test('passwords: NFKC-normalised the same way when set and checked; longer than max_chars never matches', async (t) => {
  const { app, db } = await makeMasks(t, {
    yaml: flowYaml({ passwords: { max_chars: 20 }, seeds: { clients: flowYaml().seeds.clients, actors: [{ nickname: 'uni', password: 'ｐａｓｓｗｏｒｄ１２３' }, { nickname: 'long' }] } }),
  });
  // No way of setting a password takes one over max_chars any more; one stored before max_chars was lowered:
  (await db.run('update actors set password_hash = ? where nickname = ?', await hashPassword('x'.repeat(25)), 'long'));
  const browser = new InjectBrowser(app);
  const ok = await browser.submit(await open(browser, authorizeUrl(OTHER)), { identifier: 'uni', password: 'password123' });
  t.equal(ok.statusCode, 303, 'fullwidth and ASCII forms are the same password');
  const other = new InjectBrowser(app);
  const tooLong = await other.submit(await open(other, authorizeUrl(OTHER)), { identifier: 'long', password: 'x'.repeat(25) });
  t.equal(tooLong.statusCode, 401, 'over passwords.max_chars');
});

t.test('X-Forwarded-For is trusted only from a configured proxy', async (t) => {
  const untrusted = await flowMasks(t);
  const spoofing = new InjectBrowser(untrusted.app);
  for (let i = 0; i < 6; i++) {
    const page = await open(spoofing, authorizeUrl(OTHER));
    await spoofing.post(/action="([^"]+)"/.exec(page.body)![1]!, { csrf: /name="csrf" value="([^"]+)"/.exec(page.body)![1]!, identifier: `user${i}`, password: 'x' }, { 'x-forwarded-for': `10.0.0.${i}` });
  }
  const page = await open(spoofing, authorizeUrl(OTHER));
  const limited = await spoofing.submit(page, { identifier: 'someone-else', password: 'x' });
  t.equal(limited.statusCode, 429, 'a spoofed X-Forwarded-For does not dodge the per-address limit');

  const proxied = await makeMasks(t, { yaml: flowYaml({ trust_proxy: ['127.0.0.1'] }) });
  const behindProxy = new InjectBrowser(proxied.app);
  for (let i = 0; i < 6; i++) {
    const p = await open(behindProxy, authorizeUrl(OTHER));
    await behindProxy.post(/action="([^"]+)"/.exec(p.body)![1]!, { csrf: /name="csrf" value="([^"]+)"/.exec(p.body)![1]!, identifier: `user${i}`, password: 'x' }, { 'x-forwarded-for': '203.0.113.9' });
  }
  const fromAnother = await open(behindProxy, authorizeUrl(OTHER));
  const otherClient = await behindProxy.post(/action="([^"]+)"/.exec(fromAnother.body)![1]!, { csrf: /name="csrf" value="([^"]+)"/.exec(fromAnother.body)![1]!, identifier: 'nobody', password: 'x' }, { 'x-forwarded-for': '198.51.100.7' });
  t.equal(otherClient.statusCode, 401, 'behind a trusted proxy, each client address has its own limit');
});

t.test('logs never contain secrets, codes or tokens', async (t) => {
  const lines: string[] = [];
  const { buildApp } = await import('../../src/app.js');
  const base = await flowMasks(t);
  const { Writable } = await import('node:stream');
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const app = buildApp({ ...base.masks, config: { ...base.config, log_level: 'info' } }, { logStream });
  try {
    await app.ready();
    const browser = new InjectBrowser(app);
    await open(browser, authorizeUrl(OTHER, { id_token_hint: 'secret.hint.value' }));
    const code = await signIn(browser, await open(browser, authorizeUrl(OTHER)));
    await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `grant_type=authorization_code&code=${new URL(code.headers.location as string).searchParams.get('code')}&client_id=other&client_secret=${encodeURIComponent('other-secret-that-is-at-least-32-characters')}` });
  } finally {
    await app.close();
  }
  const log = lines.join('');
  t.ok(log.length > 0, 'requests were logged');
  for (const secret of [ALICE.password, 'other-secret-that-is-at-least-32-characters', 'secret.hint.value', 'code=', 'csrf']) t.notMatch(log, secret, `no ${secret}`);
  const entries = lines.map((line) => JSON.parse(line) as { reqId?: string });
  t.ok(entries.every((entry) => typeof entry.reqId === 'string' && entry.reqId.length > 0), 'every line is JSON with its request id');
});

t.test('every answer carries its request id: the balancer\'s when plain, else a new one', async (t) => {
  const { app } = await flowMasks(t);
  const given = await app.inject({ method: 'GET', url: '/up', headers: { 'x-request-id': 'lb-7f3a.1' } });
  t.equal(given.headers['x-request-id'], 'lb-7f3a.1');
  const odd = await app.inject({ method: 'GET', url: '/up', headers: { 'x-request-id': 'a"\n{"forged":1}' } });
  t.match(odd.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'an id that is not plain is replaced');
  const none = await app.inject({ method: 'GET', url: '/up' });
  t.match(none.headers['x-request-id'], /^[0-9a-f-]{36}$/);
});

t.test('a login link is noted in the log, its link and code only at debug level', async (t) => {
  const { buildApp } = await import('../../src/app.js');
  const { Writable } = await import('node:stream');
  const { readdirSync, readFileSync } = await import('node:fs');
  const path = await import('node:path');
  for (const level of ['info', 'debug'] as const) {
    const lines: string[] = [];
    const base = await flowMasks(t);
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = buildApp({ ...base.masks, config: { ...base.config, log_level: level } }, { logStream });
    await app.ready();
    const browser = new InjectBrowser(app);
    const page = await open(browser, authorizeUrl(OTHER));
    await browser.post(/action="([^"]+)"/.exec(page.body)![1]!, { csrf: /name="csrf" value="([^"]+)"/.exec(page.body)![1]!, identifier: ALICE.email, via: 'link' });
    const outbox = path.join(base.config.data, 'outbox');
    for (let i = 0; i < 100 && !lines.join('').includes('outbox'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    await app.close();
    const { simpleParser } = await import('mailparser');
    const mail = (await simpleParser(readFileSync(path.join(outbox, readdirSync(outbox)[0]!)))).text ?? '';
    const code = /code on the sign-in page: (\d{6})/.exec(mail)![1]!;
    const token = /\/sign-in\/link\/([A-Za-z0-9_-]+)/.exec(mail)![1]!;
    if (level === 'info') {
      const linkApp = buildApp({ ...base.masks, config: { ...base.config, log_level: level } }, { logStream });
      await new InjectBrowser(linkApp).get(`/sign-in/link/${token}`);
      await linkApp.close();
    }
    const log = lines.join('');
    t.match(log, /"msg":"email written to the outbox"/, `${level}: the mail is noted`);
    t.match(log, ALICE.email);
    if (level === 'info') {
      t.notMatch(log, code, 'info: no code');
      t.notMatch(log, token, 'info: no link, not even in the request log of its page');
      t.match(log, /"url":"\/sign-in\/link\/…"/);
    } else {
      t.match(log, token, 'debug: the link, for development');
    }
  }
});

t.test('sessions end after lifetimes.session_idle without use, and each use extends them', async (t) => {
  const { app, clock } = await flowMasks(t, { lifetimes: { session_idle: '1 hour' } });
  const browser = new InjectBrowser(app);
  await signIn(browser, await open(browser, authorizeUrl(OTHER)));
  clock.advance(50 * 60);
  t.equal((await open(browser, authorizeUrl(OTHER))).statusCode, 302, 'used within the hour');
  clock.advance(50 * 60);
  t.equal((await open(browser, authorizeUrl(OTHER))).statusCode, 302, 'the last use counts, not the sign-in');
  clock.advance(61 * 60);
  t.equal((await open(browser, authorizeUrl(OTHER))).statusCode, 200, 'idle for over an hour: the form again');
});

t.test('a NUL character is never a 500, on either database: lookups find nothing, the Management API refuses it', async (t) => {
  const { app } = await flowMasks(t);
  const basicNul = `Basic ${Buffer.from('we\0b:secret').toString('base64')}`;
  const cases: Array<[string, InjectOptions, number, RegExp]> = [
    ['a client id in the path', { method: 'GET', url: '/authorize/we%00b' }, 400, /text\/html/],
    ['a query parameter', { method: 'GET', url: `/authorize?client_id=web%00&response_type=code` }, 400, /text\/html/],
    ['an attempt id', { method: 'GET', url: '/sign-in/ab%00cd' }, 404, /text\/html/],
    ['forward auth', { method: 'GET', url: '/verify?client_id=intra%00net' }, 403, /^/],
    ['a form field', { method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'grant_type=client_credentials&client_id=web%00&client_secret=x' }, 400, /application\/json/],
    ['a Basic client id', { method: 'POST', url: '/token', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicNul }, payload: 'grant_type=client_credentials' }, 401, /application\/json/],
    ['a search', { method: 'GET', url: '/api/manage/actors?q=%00' }, 400, /application\/problem\+json/],
    ['a JSON body', { method: 'POST', url: '/api/manage/actors', headers: { 'content-type': 'application/json' }, payload: '{"nickname":"a\\u0000b"}' }, 400, /application\/problem\+json/],
  ];
  for (const [what, request, status, type] of cases) {
    const response = await app.inject(request);
    t.equal(response.statusCode, status, what);
    t.match(String(response.headers['content-type'] ?? ''), type, `${what}: answered in the surface's own kind`);
  }
});
