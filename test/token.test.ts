import t from 'tap';
import { BODY_LIMIT } from '../src/limits.js';
import { basic, CONFIDENTIAL, form, makeMasks, post } from './helpers/app.js';

const good = basic(CONFIDENTIAL.id, CONFIDENTIAL.secret);
const INVALID_CLIENT = { error: 'invalid_client', error_description: 'client authentication failed' };

t.test('client_credentials with client_secret_basic', async (t) => {
  const { app } = await makeMasks(t);
  const response = await post(app, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, good);
  t.equal(response.statusCode, 200);
  t.equal(response.headers['cache-control'], 'no-store');
  t.equal(response.headers.pragma, 'no-cache');
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json();
  t.same(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  t.match(body, { token_type: 'Bearer', expires_in: 21600, scope: 'api:read' });
  t.match(body.access_token, /^[A-Za-z0-9_-]{43}$/);
});

t.test('client_credentials with client_secret_post', async (t) => {
  const { app } = await makeMasks(t);
  const response = await post(app, '/token', { grant_type: 'client_credentials', client_id: CONFIDENTIAL.id, client_secret: CONFIDENTIAL.secret });
  t.equal(response.statusCode, 200);
  t.equal(response.json().scope, 'api:read api:write', 'no scope asked: the allowed scopes');
});

t.test('Basic credentials are form-urlencoded before base64 (RFC 6749 2.3.1)', async (t) => {
  const secret = 'a secret with spaces:colons&ampersands%-0123456789';
  const { app } = await makeMasks(t, { yaml: { seeds: { clients: [{ id: 'odd~id', client_type: 'confidential', secret }] } } });
  const ok = await post(app, '/token', { grant_type: 'client_credentials' }, basic('odd~id', secret));
  t.equal(ok.statusCode, 200, ok.body);
});

t.test('token lifetime comes from the client', async (t) => {
  const { app } = await makeMasks(t, {
    yaml: { seeds: { clients: [{ id: 'short', client_type: 'confidential', secret: CONFIDENTIAL.secret, access_token_expires_in: '90s' }] } },
  });
  const response = await post(app, '/token', { grant_type: 'client_credentials' }, basic('short', CONFIDENTIAL.secret));
  t.equal(response.json().expires_in, 90);
});

t.test('wrong secret and unknown client answer alike', async (t) => {
  const { app } = await makeMasks(t);
  const wrong = await post(app, '/token', { grant_type: 'client_credentials' }, basic(CONFIDENTIAL.id, 'x'.repeat(40)));
  const unknown = await post(app, '/token', { grant_type: 'client_credentials' }, basic('nobody', CONFIDENTIAL.secret));
  const wrongPost = await post(app, '/token', { grant_type: 'client_credentials', client_id: CONFIDENTIAL.id, client_secret: 'nope' });
  for (const response of [wrong, unknown, wrongPost]) {
    t.equal(response.statusCode, 401);
    t.same(response.json(), INVALID_CLIENT);
    t.equal(response.headers['www-authenticate'], 'Basic realm="masks", charset="UTF-8"');
    t.equal(response.headers['cache-control'], 'no-store');
  }
});

t.test('missing or garbled client authentication', async (t) => {
  const { app } = await makeMasks(t);
  const cases: Array<[string, string | undefined]> = [
    ['no authentication', undefined],
    ['not Basic', 'Bearer abc'],
    ['not base64', 'Basic !!!!'],
    ['no colon', `Basic ${Buffer.from('backend').toString('base64')}`],
    ['empty id', `Basic ${Buffer.from(':secret').toString('base64')}`],
    ['bad percent-encoding', `Basic ${Buffer.from('back%zzend:secret').toString('base64')}`],
    ['invalid UTF-8', `Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x41]).toString('base64')}`],
  ];
  for (const [name, header] of cases) {
    const response = await post(app, '/token', { grant_type: 'client_credentials' }, header);
    t.equal(response.statusCode, 401, name);
    t.same(response.json(), INVALID_CLIENT, name);
  }
});

t.test('both authentication methods at once is invalid_request', async (t) => {
  const { app } = await makeMasks(t);
  const response = await post(app, '/token', { grant_type: 'client_credentials', client_id: CONFIDENTIAL.id, client_secret: CONFIDENTIAL.secret }, good);
  t.equal(response.statusCode, 400);
  t.same(response.json(), { error: 'invalid_request', error_description: 'use one client authentication method, not both' });
});

t.test('grant_type missing, repeated or unsupported', async (t) => {
  const { app } = await makeMasks(t);
  const missing = await post(app, '/token', {}, good);
  t.equal(missing.statusCode, 400);
  t.same(missing.json(), { error: 'invalid_request', error_description: 'parameter grant_type is missing' });
  const repeated = await post(app, '/token', 'grant_type=client_credentials&grant_type=client_credentials', good);
  t.equal(repeated.statusCode, 400);
  t.same(repeated.json(), { error: 'invalid_request', error_description: 'parameter grant_type is repeated' });
  const unsupported = await post(app, '/token', { grant_type: 'password' }, good);
  t.equal(unsupported.statusCode, 400);
  t.same(unsupported.json(), { error: 'unsupported_grant_type', error_description: 'grant_type password is not supported' });
});

t.test('scopes outside scopes.allowed are invalid_scope', async (t) => {
  const { app } = await makeMasks(t);
  const outside = await post(app, '/token', { grant_type: 'client_credentials', scope: 'api:read admin' }, good);
  t.equal(outside.statusCode, 400);
  t.same(outside.json(), { error: 'invalid_scope', error_description: 'scope not allowed for this client: admin' });
  const openid = await post(app, '/token', { grant_type: 'client_credentials', scope: 'openid' }, good);
  t.equal(openid.json().error, 'invalid_scope');
  const malformed = await post(app, '/token', { grant_type: 'client_credentials', scope: 'api:read "quoted"' }, good);
  t.equal(malformed.json().error, 'invalid_scope');
});

t.test('public and internal clients may not use client_credentials', async (t) => {
  const { app } = await makeMasks(t);
  const publicClient = await post(app, '/token', { grant_type: 'client_credentials', client_id: 'spa' });
  t.equal(publicClient.statusCode, 400);
  t.same(publicClient.json(), { error: 'unauthorized_client', error_description: 'a public client may not use the client_credentials grant' });
  const internal = await post(app, '/token', { grant_type: 'client_credentials', client_id: 'manage' });
  t.equal(internal.statusCode, 401, 'an internal client cannot authenticate at all');
  t.same(internal.json(), INVALID_CLIENT);
  const publicWithSecret = await post(app, '/token', { grant_type: 'client_credentials' }, basic('spa', 'some-secret'));
  t.equal(publicWithSecret.statusCode, 401, 'a public client presenting a secret');
});

t.test('malformed, oversized and non-form bodies', async (t) => {
  const { app } = await makeMasks(t);
  const json = await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'application/json', authorization: good }, payload: '{"grant_type":"client_credentials"}' });
  t.equal(json.statusCode, 400);
  t.same(json.json(), { error: 'invalid_request', error_description: 'the body must be application/x-www-form-urlencoded' });

  const big = await post(app, '/token', `grant_type=client_credentials&pad=${'a'.repeat(BODY_LIMIT)}`, good);
  t.equal(big.statusCode, 413);
  t.same(big.json(), { error: 'invalid_request', error_description: 'request body too large' });

  const malformedForm = { error: 'invalid_request', error_description: 'the body is not valid form encoding (malformed percent-encoding or UTF-8)' };
  const malformedBodies: Array<[string, string]> = [
    ['malformed percent-encoding', 'grant_type=client_credentials&scope=%E0%A4%A'],
    ['invalid UTF-8', 'grant_type=client_credentials&scope=%FF'],
    ['a lone percent sign', 'grant_type=client_credentials&%%%'],
  ];
  for (const [name, body] of malformedBodies) {
    const response = await post(app, '/token', body, good);
    t.equal(response.statusCode, 400, name);
    t.same(response.json(), malformedForm, name);
  }

  const badUrl = await app.inject({ method: 'GET', url: '/%ZZ' });
  t.equal(badUrl.statusCode, 400);
  t.same(badUrl.json(), { error: 'invalid_request', error_description: 'malformed request' });
  t.equal(badUrl.headers['x-content-type-options'], 'nosniff');

  const nul = await post(app, '/token', 'grant_type=client_credentials%00', good);
  t.equal(nul.statusCode, 400);
  t.same(nul.json(), { error: 'invalid_request', error_description: 'parameter grant_type has invalid characters' });

  const longId = await post(app, '/token', { grant_type: 'client_credentials', client_id: 'x'.repeat(10_000), client_secret: 'y' });
  t.equal(longId.statusCode, 400);
  t.same(longId.json(), { error: 'invalid_request', error_description: 'parameter client_id is too long' });

  const crlf = await post(app, '/token', { grant_type: 'client_credentials\r\nX-Injected: 1' }, good);
  t.equal(crlf.statusCode, 400);
  t.notOk(crlf.headers['x-injected']);

  const empty = await app.inject({ method: 'POST', url: '/token', headers: { authorization: good } });
  t.equal(empty.statusCode, 400);
  t.equal(empty.json().error, 'invalid_request');

  const get = await app.inject({ method: 'GET', url: '/token' });
  t.equal(get.statusCode, 404);
  t.equal(get.json().error, 'invalid_request');
  t.notMatch(get.body, /at .*\.ts/, 'no stack trace');
});

t.test('repeated failed authentication is slowed down, then recovers', async (t) => {
  const { app, clock } = await makeMasks(t);
  const wrong = basic(CONFIDENTIAL.id, 'w'.repeat(40));
  for (let i = 0; i < 10; i++) t.equal((await post(app, '/token', { grant_type: 'client_credentials' }, wrong)).statusCode, 401);
  await post(app, '/token', { grant_type: 'client_credentials' }, wrong);
  const limited = await post(app, '/token', { grant_type: 'client_credentials' }, good);
  t.equal(limited.statusCode, 429, 'even the right secret waits');
  t.equal(limited.json().error, 'invalid_request');
  t.ok(Number(limited.headers['retry-after']) >= 1);
  clock.advance(2);
  t.equal((await post(app, '/token', { grant_type: 'client_credentials' }, good)).statusCode, 200, 'after the wait');
  clock.advance(3600);
  t.equal((await post(app, '/token', { grant_type: 'client_credentials' }, wrong)).statusCode, 401, 'the window forgets');
});

t.test('JWT access tokens (RFC 9068) when the client asks for them', async (t) => {
  const { app } = await makeMasks(t, {
    yaml: {
      seeds: {
        clients: [
          { id: 'jwt-rs', client_type: 'confidential', secret: CONFIDENTIAL.secret, access_token_format: 'jwt', scopes: { allowed: ['api'] } },
          { id: 'jwt-es', client_type: 'confidential', secret: CONFIDENTIAL.secret, access_token_format: 'jwt', signing_alg: 'ES256' },
        ],
      },
    },
  });
  const { createLocalJWKSet, jwtVerify } = await import('jose');
  const jwks = createLocalJWKSet((await app.inject('/jwks')).json());
  for (const [id, alg] of [['jwt-rs', 'RS256'], ['jwt-es', 'ES256']] as const) {
    const response = await post(app, '/token', { grant_type: 'client_credentials' }, basic(id, CONFIDENTIAL.secret));
    t.equal(response.statusCode, 200);
    const token = response.json().access_token;
    const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: 'http://localhost:5000', typ: 'at+jwt' });
    t.equal(protectedHeader.alg, alg);
    t.match(payload, { sub: id, client_id: id, aud: id });
    t.ok(payload.jti && payload.exp! > payload.iat!);
    const introspection = await post(app, '/introspect', { token }, basic(id, CONFIDENTIAL.secret));
    t.equal(introspection.json().active, true, 'a JWT access token introspects like an opaque one');
  }
});

t.test('an unknown form field is ignored', async (t) => {
  const { app } = await makeMasks(t);
  const response = await post(app, '/token', form({ grant_type: 'client_credentials', foo: 'bar' }), good);
  t.equal(response.statusCode, 200);
});
