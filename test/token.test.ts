import t from 'tap';
import { basic, CONFIDENTIAL, makeMasks, post } from './helpers/app.js';

const good = basic(CONFIDENTIAL.id, CONFIDENTIAL.secret);

t.test('client_credentials with client_secret_basic', async (t) => {
  const { app } = await makeMasks(t);
  const response = await post(app, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, good);
  t.equal(response.statusCode, 200);
  t.equal(response.headers['cache-control'], 'no-store');
  t.match(response.headers['content-type'], /^application\/json/);
  const body = response.json();
  t.match(body, { token_type: 'Bearer', expires_in: 21600, scope: 'api:read' });
  t.match(body.access_token, /^[A-Za-z0-9_-]{43}$/);
  t.notOk('refresh_token' in body, 'no refresh token');
  t.notOk('id_token' in body, 'no ID token');
});
