/** Unit tests of reading OAuth request parameters (src/oauth/params.ts). */
import t from 'tap';
import { OAuthError } from '../../src/oauth/errors.js';
import { Params } from '../../src/oauth/params.js';

const invalid = (description: string) => new OAuthError('invalid_request', description);

t.test('get: a string, or undefined when absent or empty', async (t) => {
  const params = new Params({ state: 'abc', empty: '' });
  t.equal(params.get('state'), 'abc');
  t.equal(params.get('missing'), undefined);
  t.equal(params.get('empty'), undefined, 'an empty value counts as absent');
  t.ok(params.has('state'));
  t.notOk(params.has('empty'));
  t.notOk(params.has('missing'));
});

t.test('each parameter at most once, and a string (RFC 6749 3.1, 3.2)', async (t) => {
  const params = new Params({ scope: ['a', 'b'], count: 3, nested: { a: 'b' } });
  for (const read of ['get', 'opaque'] as const) {
    t.throws(() => params[read]('scope'), invalid('parameter scope is repeated'), `${read}: repeated`);
    t.throws(() => params[read]('count'), invalid('parameter count must be a string'), `${read}: a number`);
    t.throws(() => params[read]('nested'), invalid('parameter nested must be a string'), `${read}: an object`);
  }
});

t.test('get: at most 4096 characters, no control characters, no U+FFFD', async (t) => {
  t.equal(new Params({ state: 'x'.repeat(4096) }).get('state'), 'x'.repeat(4096));
  t.throws(() => new Params({ state: 'x'.repeat(4097) }).get('state'), invalid('parameter state is too long'));
  for (const char of ['\u0000', '\u0008', '\t', '\n', '\r', '\u001f', '\u007f']) {
    t.throws(() => new Params({ state: `a${char}b` }).get('state'), invalid('parameter state has invalid characters'), JSON.stringify(char));
  }
  t.throws(() => new Params({ state: 'a\uFFFDb' }).get('state'), invalid('parameter state has invalid characters'), 'U+FFFD: what a lossy decoder left');
  t.equal(new Params({ state: 'é ✓ \u{1F600}' }).get('state'), 'é ✓ \u{1F600}', 'other Unicode is fine');
});

t.test('opaque: any length or character, only hashed and looked up', async (t) => {
  const token = `${'x'.repeat(10_000)}\u0000\n\uFFFD`;
  t.equal(new Params({ token }).opaque('token'), token);
  t.equal(new Params({ token: '' }).opaque('token'), undefined);
});

t.test('require and requireOpaque: absence is invalid_request', async (t) => {
  const params = new Params({ grant_type: 'client_credentials', code: 'c\u0000' });
  t.equal(params.require('grant_type'), 'client_credentials');
  t.throws(() => params.require('redirect_uri'), invalid('parameter redirect_uri is missing'));
  t.throws(() => new Params({ redirect_uri: '' }).require('redirect_uri'), invalid('parameter redirect_uri is missing'), 'empty is missing');
  t.equal(params.requireOpaque('code'), 'c\u0000');
  t.throws(() => params.requireOpaque('token'), invalid('parameter token is missing'));
  t.throws(() => params.require('code'), invalid('parameter code has invalid characters'), 'require applies the rules of get');
});

t.test('a source that is not an object has no parameters', async (t) => {
  for (const source of [undefined, null, 'a=b', ['a'], 42]) t.equal(new Params(source).get('a'), undefined, JSON.stringify(source));
});
