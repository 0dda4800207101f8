/**
 * Answers the standards fix whatever the caller sends: a value masks only looks up by hash
 * gets the endpoint's "not ours" answer at any length (RFC 7662 2.2, RFC 7009 2.2, RFC 6749
 * 5.2, RFC 6750 3.1), and every error_description keeps to RFC 6749's characters.
 */
import t from 'tap';
import { MAX_DESCRIPTION, OAuthError } from '../src/oauth/errors.js';
import { basic, CONFIDENTIAL, makeMasks, post } from './helpers/app.js';

const good = basic(CONFIDENTIAL.id, CONFIDENTIAL.secret);
/** Longer than any parameter masks parses (4096), well inside the 64 KiB body limit. */
const LONG = 'x'.repeat(5000);
/** Characters a parsed parameter refuses; an opaque value is only hashed. */
const ODD = `never-issued\u0001\uFFFD\u00e9${'y'.repeat(100)}`;
/** RFC 6749 5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ). */
const ALLOWED = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

t.test('introspection of a token masks never issued is inactive, whatever its length', async (t) => {
  const { app } = await makeMasks(t);
  for (const token of [LONG, 'z'.repeat(60_000), ODD]) {
    const response = await post(app, '/introspect', { token }, good);
    t.equal(response.statusCode, 200, `${token.length} characters`);
    t.same(response.json(), { active: false });
  }
  const repeated = await post(app, '/introspect', `token=${LONG}&token=${LONG}`, good);
  t.same(repeated.json(), { error: 'invalid_request', error_description: 'parameter token is repeated' }, 'repeated is still refused');
});

t.test('revocation of a token masks never issued is 200, whatever its length', async (t) => {
  const { app } = await makeMasks(t);
  for (const token of [LONG, ODD]) {
    const response = await post(app, '/revoke', { token }, good);
    t.equal(response.statusCode, 200);
    t.equal(response.body, '');
  }
  const publicClient = await post(app, '/revoke', { token: LONG, client_id: 'spa' });
  t.equal(publicClient.statusCode, 200, 'for a public client too');
  const missing = await post(app, '/revoke', {}, good);
  t.same(missing.json(), { error: 'invalid_request', error_description: 'parameter token is missing' });
});

t.test('an unknown code or refresh token of any length is invalid_grant', async (t) => {
  const { app } = await makeMasks(t);
  for (const code of [LONG, ODD]) {
    const response = await post(app, '/token', { grant_type: 'authorization_code', client_id: 'spa', code, redirect_uri: 'http://127.0.0.1/cb', code_verifier: 'v'.repeat(43) });
    t.equal(response.statusCode, 400);
    t.same(response.json(), { error: 'invalid_grant', error_description: 'the code is invalid, expired or used' });
  }
  for (const refreshToken of [LONG, ODD]) {
    const response = await post(app, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, good);
    t.equal(response.statusCode, 400);
    t.same(response.json(), { error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' });
  }
  const verifier = await post(app, '/token', { grant_type: 'authorization_code', client_id: 'spa', code: 'c', code_verifier: 'v'.repeat(5000) });
  t.same(verifier.json(), { error: 'invalid_request', error_description: 'parameter code_verifier is too long' }, 'code_verifier is parsed (RFC 7636: at most 128)');
});

t.test('userinfo: an unknown bearer token of any length is invalid_token', async (t) => {
  const { app } = await makeMasks(t);
  const header = await app.inject({ method: 'GET', url: '/userinfo', headers: { authorization: `Bearer ${LONG}` } });
  const body = await post(app, '/userinfo', { access_token: LONG });
  const odd = await post(app, '/userinfo', { access_token: ODD });
  for (const [name, response] of [['header', header], ['body', body], ['odd characters in the body', odd]] as const) {
    t.equal(response.statusCode, 401, name);
    t.equal(response.json().error, 'invalid_token', name);
    t.match(response.headers['www-authenticate'], /^Bearer realm="masks", error="invalid_token"/, name);
  }
});

t.test('a very long wrong client secret is invalid_client, like any wrong secret', async (t) => {
  const { app } = await makeMasks(t);
  const posted = await post(app, '/token', { grant_type: 'client_credentials', client_id: CONFIDENTIAL.id, client_secret: LONG });
  const odd = await post(app, '/introspect', { token: 't', client_id: CONFIDENTIAL.id, client_secret: ODD });
  const header = await post(app, '/revoke', { token: 't' }, basic(CONFIDENTIAL.id, LONG));
  for (const [name, response] of [['client_secret_post', posted], ['odd characters', odd], ['client_secret_basic', header]] as const) {
    t.equal(response.statusCode, 401, name);
    t.same(response.json(), INVALID_CLIENT, name);
    t.equal(response.headers['www-authenticate'], 'Basic realm="masks", charset="UTF-8"', name);
  }
  const repeated = await post(app, '/token', `grant_type=client_credentials&client_id=${CONFIDENTIAL.id}&client_secret=a&client_secret=b`);
  t.same(repeated.json(), { error: 'invalid_request', error_description: 'parameter client_secret is repeated' });
});

t.test('OAuthError makes every description conform to RFC 6749 5.2', async (t) => {
  const cases: Array<[string, string]> = [
    ['double quote', 'say "hi"'],
    ['backslash', 'C:\\path'],
    ['non-ASCII', 'caf\u00e9 \u00a0\u2028 \u{1F600}'],
    ['control characters', 'a\u0000b\tc\nd\re\u001bf\u007fg\u0085h'],
    ['lone surrogate', 'x\uD800y'],
  ];
  for (const [name, text] of cases) {
    const error = new OAuthError('invalid_request', text);
    t.match(error.description, ALLOWED, name);
    t.match(error.toJSON().error_description, ALLOWED, `${name}: in the JSON body`);
    t.match(error.message, ALLOWED, `${name}: in the message`);
  }
  t.equal(new OAuthError('invalid_request', 'say "hi" \\ caf\u00e9 \u{1F600}').description, "say 'hi' ? caf? ?", 'one substitute per character');
  t.equal(new OAuthError('invalid_request', 'parameter token is missing').description, 'parameter token is missing', 'conforming text is kept');
  const long = new OAuthError('invalid_request', 'x'.repeat(10_000));
  t.ok(long.description!.length <= MAX_DESCRIPTION, 'capped');
  t.match(long.description, ALLOWED);
  t.same(new OAuthError('invalid_grant').toJSON(), { error: 'invalid_grant' }, 'no description, none sent');
});

t.test('a JSON error never reflects what RFC 6749 does not allow', async (t) => {
  const { app } = await makeMasks(t);
  const response = await post(app, '/token', { grant_type: 'pass"word\\caf\u00e9<svg/onload=alert(1)>' }, good);
  t.equal(response.statusCode, 400);
  const body = response.json();
  t.equal(body.error, 'unsupported_grant_type');
  t.match(body.error_description, ALLOWED);
  t.notMatch(body.error_description, 'svg', 'the caller\'s value is not echoed');
});

t.test('an /authorize error redirect carries a conforming error_description', async (t) => {
  const { app } = await makeMasks(t);
  // One prompt value (prompt is space-separated): quote, backslash, non-ASCII and astral inside it.
  for (const prompt of ['<svg/onload=alert(1)>', '<svg/onload="alert(1)">\\caf\u00e9\u{1F600}']) {
    const query = new URLSearchParams({
      client_id: 'spa',
      redirect_uri: 'http://127.0.0.1/cb',
      response_type: 'code',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      state: 'st',
      prompt,
    });
    const response = await app.inject({ method: 'GET', url: `/authorize?${query}` });
    t.equal(response.statusCode, 302, prompt);
    const location = new URL(response.headers.location!);
    t.equal(`${location.origin}${location.pathname}`, 'http://127.0.0.1/cb');
    t.equal(location.searchParams.get('error'), 'invalid_request');
    t.equal(location.searchParams.get('state'), 'st');
    t.match(location.searchParams.get('error_description'), ALLOWED, prompt);
    t.notMatch(location.searchParams.get('error_description'), /svg|onload|</, 'nothing the caller chose is repeated');
  }
  const scope = new URLSearchParams({ client_id: 'spa', redirect_uri: 'http://127.0.0.1/cb', response_type: 'code', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', scope: '<svg/onload=alert(1)>' });
  const refused = new URL((await app.inject(`/authorize?${scope}`)).headers.location!);
  t.equal(refused.searchParams.get('error'), 'invalid_scope');
  t.notMatch(refused.searchParams.get('error_description'), /svg|onload|</, 'a markup-like scope name (valid NQCHAR) is not repeated either');
});
