import t from 'tap';
import { basic, CONFIDENTIAL, clientCredentialsToken, makeMasks, post } from './helpers/app.js';

const good = basic(CONFIDENTIAL.id, CONFIDENTIAL.secret);
const OTHER = { id: 'other', secret: 'other-secret-that-is-at-least-32-characters' };
const yaml = {
  seeds: {
    clients: [
      { id: CONFIDENTIAL.id, client_type: 'confidential', secret: CONFIDENTIAL.secret, scopes: { allowed: CONFIDENTIAL.scopes } },
      { id: OTHER.id, client_type: 'confidential', secret: OTHER.secret },
      { id: 'spa', client_type: 'public', redirect_uris: ['http://127.0.0.1/cb'] },
    ],
  },
};

t.test('introspection of an active token', async (t) => {
  const { app, clock } = await makeMasks(t, { yaml });
  const token = await clientCredentialsToken(app, 'api:read');
  const response = await post(app, '/introspect', { token: token.access_token, token_type_hint: 'access_token' }, good);
  t.equal(response.statusCode, 200);
  t.equal(response.headers['cache-control'], 'no-store');
  const body = response.json();
  t.match(body, { active: true, scope: 'api:read', client_id: CONFIDENTIAL.id, token_type: 'Bearer', sub: CONFIDENTIAL.id, iss: 'http://localhost:5000' });
  t.equal(body.exp, clock.now + 21600);
  t.equal(body.iat, clock.now);
});

t.test('inactive: unknown, expired, revoked, another client\'s', async (t) => {
  const { app, clock } = await makeMasks(t, { yaml });
  const inactive = async (token: string, auth = good) => {
    const response = await post(app, '/introspect', { token }, auth);
    t.equal(response.statusCode, 200);
    t.same(response.json(), { active: false });
  };
  await inactive('no-such-token');
  await inactive('x'.repeat(4000));
  const token = (await clientCredentialsToken(app)).access_token;
  await inactive(token, basic(OTHER.id, OTHER.secret));
  clock.advance(21600);
  await inactive(token);
  clock.advance(-21600);
  t.equal((await post(app, '/introspect', { token }, good)).json().active, true);
  t.equal((await post(app, '/revoke', { token }, good)).statusCode, 200);
  await inactive(token);
});

t.test('introspection needs client authentication and a token', async (t) => {
  const { app } = await makeMasks(t, { yaml });
  const token = (await clientCredentialsToken(app)).access_token;
  const anonymous = await post(app, '/introspect', { token });
  t.equal(anonymous.statusCode, 401);
  t.equal(anonymous.json().error, 'invalid_client');
  const publicClient = await post(app, '/introspect', { token, client_id: 'spa' });
  t.equal(publicClient.statusCode, 401, 'public clients cannot introspect');
  const wrong = await post(app, '/introspect', { token }, basic(CONFIDENTIAL.id, 'nope'));
  t.equal(wrong.statusCode, 401);
  const missing = await post(app, '/introspect', {}, good);
  t.equal(missing.statusCode, 400);
  t.same(missing.json(), { error: 'invalid_request', error_description: 'parameter token is missing' });
  const repeated = await post(app, '/introspect', `token=${token}&token=${token}`, good);
  t.same(repeated.json(), { error: 'invalid_request', error_description: 'parameter token is repeated' });
});

t.test('revocation', async (t) => {
  const { app } = await makeMasks(t, { yaml });
  const unknown = await post(app, '/revoke', { token: 'never-issued' }, good);
  t.equal(unknown.statusCode, 200, 'an unknown token is 200 (RFC 7009 2.2)');
  t.equal(unknown.body, '');

  const token = (await clientCredentialsToken(app)).access_token;
  const byOther = await post(app, '/revoke', { token }, basic(OTHER.id, OTHER.secret));
  t.equal(byOther.statusCode, 200, 'same answer for another client\'s token');
  t.equal((await post(app, '/introspect', { token }, good)).json().active, true, 'but it is not revoked');

  const hinted = await post(app, '/revoke', { token, token_type_hint: 'something_else' }, good);
  t.equal(hinted.statusCode, 200, 'an unknown hint is ignored');
  t.equal((await post(app, '/introspect', { token }, good)).json().active, false);
  t.equal((await post(app, '/revoke', { token }, good)).statusCode, 200, 'revoking twice is fine');

  const anonymous = await post(app, '/revoke', { token });
  t.equal(anonymous.statusCode, 401);
  t.same(anonymous.json(), { error: 'invalid_client', error_description: 'client authentication failed' });
  const missing = await post(app, '/revoke', {}, good);
  t.same(missing.json(), { error: 'invalid_request', error_description: 'parameter token is missing' });
});

t.test('revocation survives a restart; tokens stay valid across restarts', async (t) => {
  const first = await makeMasks(t, { yaml });
  const kept = (await clientCredentialsToken(first.app)).access_token;
  const revoked = (await clientCredentialsToken(first.app)).access_token;
  await post(first.app, '/revoke', { token: revoked }, good);
  const second = await first.restart();
  t.equal((await post(second.app, '/introspect', { token: kept }, good)).json().active, true, 'issued token still valid');
  t.equal((await post(second.app, '/introspect', { token: revoked }, good)).json().active, false, 'revoked stays revoked');
});

t.test('only hashes of tokens are stored', async (t) => {
  const { app, db } = await makeMasks(t, { yaml });
  const token = (await clientCredentialsToken(app)).access_token;
  const dump = JSON.stringify((await db.all('select * from tokens')));
  t.notMatch(dump, token);
  const clients = JSON.stringify((await db.all('select * from clients')));
  t.notMatch(clients, CONFIDENTIAL.secret, 'nor client secrets');
});
