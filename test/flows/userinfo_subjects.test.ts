import t from 'tap';
import { basic, clientCredentialsToken, makeMasks, post } from '../helpers/app.js';
import { InjectBrowser } from '../helpers/browser.js';
import { authorizeUrl, codeOf, flowYaml, open, signIn } from './setup.js';

const SECRET = 's'.repeat(40);
const client = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  client_type: 'confidential',
  secret: SECRET,
  redirect_uris: [`https://${id}.example/cb`],
  scopes: { allowed: ['openid', 'profile', 'email', 'api:read'] },
  ...extra,
});

async function tokensFor(app: Parameters<typeof post>[0], browser: InjectBrowser, id: string, scope = 'openid profile') {
  const code = codeOf(await signIn(browser, await open(browser, authorizeUrl({ id, redirect: `https://${id}.example/cb` }, { scope }))));
  const response = await post(app, '/token', { grant_type: 'authorization_code', code, redirect_uri: `https://${id}.example/cb` }, basic(id, SECRET));
  return response.json() as { access_token: string; refresh_token: string; id_token: string };
}

const subOf = (idToken: string) => JSON.parse(Buffer.from(idToken.split('.')[1]!, 'base64url').toString()).sub as string;

t.test('subjects: pairwise per sector, public-uuid, public-identifier; userinfo and introspection agree', async (t) => {
  const yaml = flowYaml({
    seeds: {
      clients: [
        client('a1', { sector_identifier: 'shared.example' }),
        client('a2', { sector_identifier: 'shared.example' }),
        client('b'),
        client('pub', { subject_type: 'public-uuid' }),
        client('nick', { subject_type: 'public-identifier' }),
        { id: 'backend', client_type: 'confidential', secret: 'backend-secret-that-is-at-least-32-chars', scopes: { allowed: ['api:read'] } },
      ],
      actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password' }],
    },
  });
  const { app, masks } = await makeMasks(t, { yaml });
  const browser = new InjectBrowser(app);
  const subs: Record<string, string> = {};
  for (const id of ['a1', 'a2', 'b', 'pub', 'nick']) {
    const tokens = await tokensFor(app, browser, id);
    subs[id] = subOf(tokens.id_token);
    const userinfo = await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${tokens.access_token}` } });
    t.equal(userinfo.json().sub, subs[id], `${id}: userinfo agrees`);
    const introspection = await post(app, '/introspect', { token: tokens.access_token }, basic(id, SECRET));
    t.equal(introspection.json().sub, subs[id], `${id}: introspection agrees`);
  }
  t.equal(subs.a1, subs.a2, 'same sector, same sub');
  t.not(subs.a1, subs.b, 'different sectors, different sub');
  const alice = (await masks.store.actors.findByIdentifier('alice'))!;
  t.equal(subs.pub, alice.publicUuid);
  t.not(subs.pub, alice.id, 'public-uuid is not the internal id');
  t.equal(subs.nick, 'alice');
  t.equal(subOf((await tokensFor(app, new InjectBrowser(app), 'b')).id_token), subs.b, 'stable across sign-ins');
});

t.test('userinfo: claims only for granted scopes; bad tokens are 401 invalid_token', async (t) => {
  const yaml = flowYaml({
    seeds: {
      clients: [client('c'), client('g', { scopes: { allowed: ['openid', 'groups'] } }), { id: 'backend', client_type: 'confidential', secret: 'backend-secret-that-is-at-least-32-chars', scopes: { allowed: ['api:read'] } }],
      actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password', scopes: ['staff', 'ops'] }],
    },
  });
  const { app } = await makeMasks(t, { yaml });
  const browser = new InjectBrowser(app);
  const grouped = await tokensFor(app, browser, 'g', 'openid groups');
  t.same((await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${grouped.access_token}` } })).json().groups, ['staff', 'ops'], "the groups scope: the actor's scopes as a groups claim");
  const onlyOpenid = await tokensFor(app, browser, 'c', 'openid');
  const claims = (await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${onlyOpenid.access_token}` } })).json();
  t.same(Object.keys(claims), ['sub', 'auth_time', 'acr', 'amr'], 'openid alone: sub only, and how the person signed in');
  const full = await tokensFor(app, browser, 'c', 'openid profile email');
  t.same(Object.keys((await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${full.access_token}` } })).json()).sort(), ['acr', 'amr', 'auth_time', 'email', 'email_verified', 'nickname', 'preferred_username', 'sub', 'updated_at']);

  const invalid = (response: { statusCode: number; headers: Record<string, unknown> }, name: string) => {
    t.equal(response.statusCode, 401, name);
    t.match(response.headers['www-authenticate'], /^Bearer realm="masks", error="invalid_token"/, name);
  };
  invalid(await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${full.refresh_token}` } }), 'a refresh token');
  invalid(await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${full.id_token}` } }), 'an ID token');
  invalid(await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${(await clientCredentialsToken(app)).access_token}` } }), 'a client_credentials token');
  invalid(await app.inject({ url: '/userinfo', headers: { authorization: 'Bearer made-up' } }), 'unknown');
  await post(app, '/revoke', { token: full.access_token }, basic('c', SECRET));
  invalid(await app.inject({ url: '/userinfo', headers: { authorization: `Bearer ${full.access_token}` } }), 'revoked');
  const inQuery = await app.inject({ url: `/userinfo?access_token=${onlyOpenid.access_token}` });
  t.equal(inQuery.statusCode, 400, 'a token in the query string is refused');
  t.match(inQuery.headers['www-authenticate'], /error="invalid_request"/);
  const none = await app.inject({ url: '/userinfo' });
  t.equal(none.statusCode, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer realm="masks"');
});
