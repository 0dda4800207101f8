/** Unit tests of the strict application/x-www-form-urlencoded parser (src/oauth/form.ts). */
import t from 'tap';
import { OAuthError } from '../../src/oauth/errors.js';
import { parseForm } from '../../src/oauth/form.js';

const malformed = new OAuthError('invalid_request', 'the body is not valid form encoding (malformed percent-encoding or UTF-8)');
const plain = (body: string) => ({ ...parseForm(body) });

t.test('names and values, + as space, percent-encoding as UTF-8', async (t) => {
  t.same(plain('grant_type=client_credentials&scope=a+b'), { grant_type: 'client_credentials', scope: 'a b' });
  t.same(plain('redirect_uri=https%3A%2F%2Fapp.example%2Fcb%3Fx%3D1'), { redirect_uri: 'https://app.example/cb?x=1' });
  t.same(plain('name=%C3%A9%E2%9C%93%F0%9F%98%80'), { name: 'é✓\u{1F600}' });
  t.same(plain('plus=%2B&space=%20'), { plus: '+', space: ' ' }, 'an encoded + stays a +');
  t.same(plain('my+name=v'), { 'my name': 'v' }, 'names are decoded too');
  t.same(plain('a=b=c'), { a: 'b=c' }, 'the first = splits');
});

t.test('empty bodies, empty pairs, names without a value', async (t) => {
  t.same(plain(''), {});
  t.same(plain('&&a=1&&'), { a: '1' }, 'empty pairs are skipped');
  t.same(plain('flag&other='), { flag: '', other: '' });
  t.same(plain('=v'), { '': 'v' });
});

t.test('repeated names become arrays, in order, so Params can refuse them', async (t) => {
  t.same(plain('scope=a&scope=b&scope=c&x=1'), { scope: ['a', 'b', 'c'], x: '1' });
});

t.test('malformed percent-encoding and invalid UTF-8 are errors, not kept', async (t) => {
  for (const body of ['a=%', 'a=%2', 'a=%zz', 'a=100%', '%=x', 'a=%C3', 'a=%FF', 'a=%C3%28', 'a=%ED%A0%80']) t.throws(() => parseForm(body), malformed, body);
});

t.test('no prototype: __proto__ is an ordinary name', async (t) => {
  const form = parseForm('__proto__=x&constructor=y');
  t.equal(Object.getPrototypeOf(form), null);
  t.equal(form['__proto__'], 'x');
  t.equal(form.constructor, 'y');
});
