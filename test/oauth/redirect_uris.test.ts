/** Unit tests of redirect URI registration and matching, and of return addresses. */
import t from 'tap';
import { fuzzyMatches, isLocalPath, matchesRedirectUri, redirectUriProblem, resolveAddress } from '../../src/oauth/redirect_uris.js';

const client = (redirectUris: string[], fuzzy = false) => ({ redirectUris, settings: { fuzzy_redirect_uri: fuzzy } });

t.test('exact matching, loopback ports, and nothing a browser would read differently', async (t) => {
  const web = client(['https://app.example/cb', 'http://127.0.0.1/cb', 'http://[::1]/cb']);
  t.ok(matchesRedirectUri(web, 'https://app.example/cb'));
  for (const uri of ['https://app.example/cb/', 'https://APP.example/cb', 'https://app.example:443/cb', 'https://app.example/cb?x=1', 'https://app.example/cb\t', 'https://app.example/c\tb', 'https://app.example/cb\u200b']) {
    t.notOk(matchesRedirectUri(web, uri), JSON.stringify(uri));
  }
  t.ok(matchesRedirectUri(web, 'http://127.0.0.1:53682/cb'), 'loopback: any port');
  t.ok(matchesRedirectUri(web, 'http://[::1]:8080/cb'));
  t.notOk(matchesRedirectUri(web, 'http://127.0.0.1:65536/cb'), 'a port over 65535 is no URL at all');
  t.notOk(matchesRedirectUri(web, 'http://127.0.0.1:99999/cb'));
  t.ok(matchesRedirectUri(web, 'http://127.0.0.1:65535/cb'));
});

t.test('fuzzy patterns: one run of [A-Za-z0-9_~-] per *, matched in linear time', { timeout: 10_000 }, async (t) => {
  t.ok(fuzzyMatches('https://*.example.com/cb', 'https://pr-42.example.com/cb'));
  t.notOk(fuzzyMatches('https://*.example.com/cb', 'https://.example.com/cb'), 'a * matches at least one character');
  t.notOk(fuzzyMatches('https://*.example.com/cb', 'https://evil.com/.example.com/cb'));
  t.notOk(fuzzyMatches('https://*.example.com/cb', 'https://a.b.example.com/cb'), 'never a dot');
  t.ok(fuzzyMatches('https://*-*-*.x/cb', 'https://a-b-c.x/cb'));
  t.ok(fuzzyMatches('https://*-*-*.x/cb', 'https://a-b-c-d-e.x/cb'), 'a * may hold a dash');
  t.notOk(fuzzyMatches('https://*-*-*.x/cb', 'https://a-b.x/cb'));
  t.ok(fuzzyMatches('https://a**b.x/', 'https://axyb.x/'));
  // A backtracking regex takes seconds for one of these; ten must take well under the timeout.
  const hostile = `https://${'-'.repeat(1500)}`;
  for (let i = 0; i < 10; i++) t.notOk(matchesRedirectUri(client(['https://*-*-*.x/cb'], true), hostile));
});

t.test('registration refuses what cannot be matched safely', async (t) => {
  t.equal(redirectUriProblem('https://app.example/cb', 'confidential'), undefined);
  t.match(redirectUriProblem('https://app.example/c b', 'confidential'), /white space/);
  t.match(redirectUriProblem('https://app.example/cb\t', 'confidential'), /white space/);
  t.match(redirectUriProblem('http://127.0.0.1:70000/cb', 'public'), /absolute URL/);
  t.equal(redirectUriProblem('/manage', 'internal'), undefined);
  t.match(redirectUriProblem('/\\evil.example/', 'internal'), /path on masks/);
  t.match(redirectUriProblem('//evil.example/', 'internal'), /path on masks|absolute/);
});

t.test('return addresses are judged as a browser resolves them', async (t) => {
  t.ok(isLocalPath('/manage'));
  for (const path of ['//evil.example/x', '/\\evil.example/x', '/\t/evil.example/x', '/\n/evil.example', 'https://evil.example/', 'evil.example']) {
    t.notOk(isLocalPath(path), JSON.stringify(path));
  }
  t.equal(resolveAddress('/\t/evil.example/x', 'https://id.example'), undefined, 'TAB anywhere: refused');
  t.equal(resolveAddress('/a\u00a0b', 'https://id.example'), undefined, 'no-break space');
  t.equal(resolveAddress('/a\u2028b', 'https://id.example'), undefined, 'line separator');
  t.equal(resolveAddress('/\\evil.example/', 'https://id.example')!.origin, 'https://evil.example', 'resolved exactly as a browser does');
});
