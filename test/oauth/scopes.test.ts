/** Unit tests of scope strings (src/oauth/scopes.ts, RFC 6749 3.3). */
import t from 'tap';
import { OAuthError } from '../../src/oauth/errors.js';
import { ensureAllowed, formatScope, isScopeToken, parseScope } from '../../src/oauth/scopes.js';

t.test('parseScope: space-delimited, order kept, repeats dropped', async (t) => {
  t.same(parseScope(undefined), []);
  t.same(parseScope(''), []);
  t.same(parseScope('openid profile email'), ['openid', 'profile', 'email']);
  t.same(parseScope('  api:read   api:write '), ['api:read', 'api:write'], 'runs of spaces');
  t.same(parseScope('b a b a'), ['b', 'a']);
  t.equal(formatScope(parseScope('a  b')), 'a b');
});

t.test('NQCHAR only: no double quote, backslash, control or non-ASCII character', async (t) => {
  t.ok(isScopeToken('!#[]~:/.'));
  for (const scope of ['a"b', 'a\\b', 'a\tb', 'é', '']) {
    t.notOk(isScopeToken(scope), JSON.stringify(scope));
  }
  t.throws(() => parseScope('openid a"b'), new OAuthError('invalid_scope', 'scope has characters outside RFC 6749 3.3'));
  t.throws(() => parseScope('openid\tprofile'), new OAuthError('invalid_scope', 'scope has characters outside RFC 6749 3.3'), 'only a space separates');
});

t.test('ensureAllowed names every scope that is not allowed', async (t) => {
  t.doesNotThrow(() => ensureAllowed(['a', 'b'], ['a', 'b', 'c']));
  t.doesNotThrow(() => ensureAllowed([], []));
  t.throws(() => ensureAllowed(['a', 'x', 'y'], ['a']), new OAuthError('invalid_scope', 'scope not allowed for this client: x y'));
});
