/**
 * Every address masks sends a browser to (rd, redirect_uri, post_logout_redirect_uri) is
 * judged as a browser would resolve it; nothing doubtful is ever a redirect.
 */
import t from 'tap';
import { InjectBrowser } from '../helpers/browser.js';
import { ALICE, authorizeUrl, flowMasks, open, SPA } from './setup.js';

/** Return addresses that a naive "starts with one slash" test lets through. */
const HOSTILE = ['/\t/evil.example/x', '/\n/evil.example/x', '/\r/evil.example/x', '/ /evil.example/x', '\t//evil.example/x', '/\\evil.example/x', '/\\\\evil.example/x', '/\u200b/evil.example', '/x\u0000', 'https://evil.example/', '//evil.example', 'javascript:alert(1)', 'https://example.com@evil.example/'];

t.test('internal clients: rd with control characters, white space or backslashes is an error page', async (t) => {
  const { app } = await flowMasks(t);
  for (const rd of HOSTILE) {
    const response = await app.inject(`/authorize/intranet?rd=${encodeURIComponent(rd)}`);
    t.equal(response.statusCode, 400, JSON.stringify(rd));
    t.notOk(response.headers.location, `${JSON.stringify(rd)}: no redirect`);
  }
  const ok = await app.inject(`/authorize/intranet?rd=${encodeURIComponent('/some/page?x=1')}`);
  t.equal(ok.statusCode, 302, 'a plain path on masks is fine');
});

t.test('after sign-in the browser goes exactly where the address was judged to go', async (t) => {
  const { app } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const page = await open(browser, `/authorize/intranet?rd=${encodeURIComponent('/back/here?x=1')}`);
  const done = await browser.submit(page, { identifier: 'alice', password: ALICE.password });
  t.equal(done.statusCode, 303);
  const target = new URL(done.headers.location as string, 'http://attacker.invalid');
  t.equal(target.origin, 'http://localhost:5000', 'an absolute address on masks itself');
  t.equal(`${target.pathname}${target.search}`, '/back/here?x=1');
});

t.test('/verify never forwards a return address /authorize would refuse', async (t) => {
  const { app } = await flowMasks(t);
  for (const rd of HOSTILE) {
    const response = await app.inject(`/verify?client_id=intranet&rd=${encodeURIComponent(rd)}`);
    t.equal(response.statusCode, 401, JSON.stringify(rd));
    t.notOk(response.headers.location, `${JSON.stringify(rd)}: no redirect`);
  }
  const ok = await app.inject(`/verify?client_id=intranet&rd=${encodeURIComponent('https://wiki.example.com/page')}`);
  t.equal(ok.statusCode, 302);
  t.equal(ok.headers.location, `http://localhost:5000/authorize/intranet?rd=${encodeURIComponent('https://wiki.example.com/page')}`);
});

t.test('redirect_uri with a loopback port over 65535: an error page, no code minted, never a 500', async (t) => {
  const { app, db } = await flowMasks(t);
  const browser = new InjectBrowser(app);
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  for (const port of ['65536', '99999']) {
    const response = await open(browser, authorizeUrl({ id: SPA.id, redirect: `http://127.0.0.1:${port}/callback` }, { code_challenge: challenge, code_challenge_method: 'S256' }));
    t.equal(response.statusCode, 400, port);
    t.notOk(response.headers.location);
  }
  t.equal((await db.value("select count(*) from tokens where kind = 'authorization_code'")), 0);
  t.equal((await db.value('select count(*) from attempts')), 0, 'nothing started');
});
