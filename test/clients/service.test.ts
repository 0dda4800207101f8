/** Unit tests of the clients service: every rule of saving a client, and adding one from outside. */
import t from 'tap';
import { addClient, clientProblem, MANAGEMENT_CLIENT_ID, pickOverrides, saveClient, type ClientInput } from '../../src/clients/service.js';
import { InputError } from '../../src/errors.js';
import { CONFIDENTIAL, makeMasks } from '../helpers/app.js';

const confidential = (extra: Partial<ClientInput> = {}): ClientInput => ({ id: 'app', overrides: { client_type: 'confidential' }, ...extra });

t.test('the id: 1 to 255 letters, digits and . _ ~ -', async (t) => {
  const { masks } = await makeMasks(t);
  const defaults = masks.config.clients;
  for (const id of ['a', 'my-app_1.0~x', 'x'.repeat(255)]) t.equal(clientProblem(defaults, { id, overrides: {} }), undefined, id);
  for (const id of ['', 'my app', 'a/b', 'é', 'x'.repeat(256)]) {
    t.equal(clientProblem(defaults, { id, overrides: {} }), 'the id must be 1 to 255 letters, digits and . _ ~ -', JSON.stringify(id));
  }
});

t.test('client_type is one of internal, confidential, public (from the client, else clients.client_type)', async (t) => {
  const { masks } = await makeMasks(t);
  const defaults = masks.config.clients;
  const weird = { id: 'x', overrides: { client_type: 'weird' } } as unknown as ClientInput;
  t.equal(clientProblem(defaults, weird), 'client_type must be one of internal, confidential, public, got "weird"');
  t.equal(clientProblem({ ...defaults, client_type: 'odd' } as unknown as typeof defaults, { id: 'x', overrides: {} }), 'client_type must be one of internal, confidential, public, got "odd"');
  for (const type of ['internal', 'confidential', 'public'] as const) t.equal(clientProblem(defaults, { id: 'x', overrides: { client_type: type } }), undefined, type);
});

t.test('secrets: confidential clients only, 32 to 512 characters', async (t) => {
  const { masks } = await makeMasks(t);
  const defaults = masks.config.clients;
  const withSecret = (client_type: 'internal' | 'confidential' | 'public', secret: string) => clientProblem(defaults, { id: 'x', secret, overrides: { client_type } });
  t.equal(withSecret('public', 'x'.repeat(40)), 'only confidential clients have a secret');
  t.equal(withSecret('internal', 'x'.repeat(40)), 'only confidential clients have a secret', 'internal is the default type and has none either');
  t.equal(withSecret('confidential', 'x'.repeat(31)), 'the secret must be at least 32 characters');
  t.equal(withSecret('confidential', 'x'.repeat(32)), undefined);
  t.equal(withSecret('confidential', 'x'.repeat(512)), undefined);
  t.equal(withSecret('confidential', 'x'.repeat(513)), 'the secret must be at most 512 characters');
});

t.test('redirect and post-logout URIs follow the registration rules of their client type', async (t) => {
  const { masks } = await makeMasks(t);
  const defaults = masks.config.clients;
  const problem = (client_type: 'internal' | 'confidential' | 'public', uris: Partial<ClientInput>) => clientProblem(defaults, { id: 'x', overrides: { client_type }, ...uris });
  t.equal(problem('confidential', { redirect_uris: ['https://app.example/cb'] }), undefined);
  t.equal(problem('confidential', { redirect_uris: ['javascript:alert(1)'] }), 'redirect URI "javascript:alert(1)" may not use the javascript: scheme');
  t.equal(problem('confidential', { redirect_uris: ['https://app.example/cb#x'] }), 'redirect URI "https://app.example/cb#x" must not have a fragment');
  t.equal(problem('confidential', { redirect_uris: ['com.example.app:/cb'] }), 'redirect URI "com.example.app:/cb" must be http or https');
  t.equal(problem('public', { redirect_uris: ['com.example.app:/cb'] }), undefined, 'native apps may use their own scheme');
  t.equal(problem('internal', { redirect_uris: ['/manage'] }), undefined, 'internal clients may use a path on masks');
  t.equal(problem('confidential', { redirect_uris: ['/manage'] }), 'redirect URI "/manage" must be an absolute URL');
  t.equal(problem('confidential', { post_logout_redirect_uris: ['https://app.example/bye\t'] }), 'redirect URI "https://app.example/bye\\t" must not contain white space or control characters');
});

t.test('scopes are RFC 6749 scope tokens', async (t) => {
  const { masks } = await makeMasks(t);
  const defaults = masks.config.clients;
  t.equal(clientProblem(defaults, { id: 'x', overrides: { scopes: { allowed: ['api:read', 'openid'] } } }), undefined);
  t.equal(clientProblem(defaults, { id: 'x', overrides: { scopes: { allowed: ['api read'] } } }), 'scope "api read" has characters outside RFC 6749 3.3');
  t.equal(clientProblem(defaults, { id: 'x', overrides: { scopes: { required: ['a"b'] } } }), 'scope "a\\"b" has characters outside RFC 6749 3.3');
});

t.test('every check of the contract can be demanded', async (t) => {
  const { masks } = await makeMasks(t);
  const defaults = masks.config.clients;
  for (const check of ['second-factor', 'client-consent', 'onboarded', 'verified-email'] as const) {
    t.equal(clientProblem(defaults, { id: 'x', overrides: { checks: ['device', 'credentials', check] } }), undefined, check);
  }
});

t.test('a broken rule names the client and writes nothing', async (t) => {
  const { masks } = await makeMasks(t);
  await t.rejects(saveClient(masks, { id: 'p', secret: 'x'.repeat(40), overrides: { client_type: 'public' } }, false), new InputError('client "p": only confidential clients have a secret'));
  t.notOk(await masks.store.clients.find('p'));
});

t.test('a confidential client without a secret gets a random 256-bit one, once; a given secret replaces it', async (t) => {
  const { masks } = await makeMasks(t);
  const first = await saveClient(masks, confidential(), false);
  t.ok(first.changed);
  t.match(first.secret, /^[A-Za-z0-9_-]{43}$/, 'returned to be shown once');
  t.ok(masks.keyed.verify(first.secret!, first.client.secretHash), 'stored only as its keyed hash');
  t.not(first.client.secretHash, first.secret);

  const again = await saveClient(masks, confidential({ name: 'Renamed' }), false);
  t.equal(again.secret, undefined, 'not generated again');
  t.equal(again.client.secretHash, first.client.secretHash, 'the stored secret is kept');

  const given = 'a-given-secret-of-at-least-32-characters';
  const replaced = await saveClient(masks, confidential({ secret: given }), false);
  t.equal(replaced.secret, undefined, 'a given secret is never echoed');
  t.ok(masks.keyed.verify(given, replaced.client.secretHash));
  t.notOk(masks.keyed.verify(first.secret!, replaced.client.secretHash), 'the old secret no longer works');

  const publicNow = await saveClient(masks, { id: 'app', overrides: { client_type: 'public' } }, false);
  t.equal(publicNow.client.secretHash, null, 'a client that stops being confidential loses its secret');
});

t.test('what the input leaves out is kept; an unchanged record is not rewritten', async (t) => {
  const { masks, clock } = await makeMasks(t);
  const saved = (await saveClient(masks, { id: 'web', name: 'Web', redirect_uris: ['https://web.example/cb'], post_logout_redirect_uris: ['https://web.example/bye'], overrides: { client_type: 'confidential' } }, false)).client;
  clock.advance(60);
  const same = await saveClient(masks, { id: 'web', overrides: { client_type: 'confidential' } }, false);
  t.equal(same.changed, false);
  t.equal(same.secret, undefined);
  t.same(same.client, saved, 'name and URIs kept; updated_at untouched');
  const renamed = await saveClient(masks, { id: 'web', name: 'Web 2', overrides: { client_type: 'confidential' } }, false);
  t.ok(renamed.changed);
  t.equal(renamed.client.name, 'Web 2');
  t.same(renamed.client.redirectUris, ['https://web.example/cb']);
  t.equal(renamed.client.updatedAt, saved.updatedAt + 60);
  t.equal((await saveClient(masks, { id: 'nameless', overrides: {} }, false)).client.name, 'nameless', 'the name defaults to the id');
});

t.test('seeded or not is part of the record', async (t) => {
  const { masks } = await makeMasks(t);
  t.equal((await masks.store.clients.find(CONFIDENTIAL.id))?.seeded, true, 'masks.yml seeds are saved as seeded');
  t.equal((await saveClient(masks, { id: 'by-hand', overrides: {} }, false)).client.seeded, false);
  const adopted = await saveClient(masks, { id: 'by-hand', overrides: {} }, true);
  t.ok(adopted.changed, 'a client masks.yml now declares becomes seeded');
  t.equal(adopted.client.seeded, true);
});

t.test('addClient: only new clients, never the management client or one masks.yml declares', async (t) => {
  const { masks } = await makeMasks(t);
  await t.rejects(addClient(masks, { id: MANAGEMENT_CLIENT_ID, overrides: {} }), new InputError('client "manage" is the built-in management client; masks keeps it'));
  await t.rejects(addClient(masks, { id: CONFIDENTIAL.id, overrides: {} }), new InputError('client "backend" is declared in masks.yml (seeds.clients); change it there'));
  const added = await addClient(masks, confidential({ id: 'fresh' }));
  t.equal(added.client.seeded, false);
  t.match(added.secret, /^[A-Za-z0-9_-]{43}$/);
  await t.rejects(addClient(masks, { id: 'fresh', overrides: {} }), new InputError('client "fresh" already exists'));
  await t.rejects(addClient(masks, { id: 'bad id', overrides: {} }), new InputError('client "bad id": the id must be 1 to 255 letters, digits and . _ ~ -'));
  t.equal((await masks.store.clients.find(MANAGEMENT_CLIENT_ID))?.name, 'masks management', 'the management client is untouched');
});

t.test('pickOverrides keeps only client settings that are set', async (t) => {
  t.same(pickOverrides({ id: 'x', name: 'X', secret: 's', client_type: 'public', scopes: { allowed: ['a'] }, checks: undefined, access_token_expires_in: 60 }), {
    client_type: 'public',
    scopes: { allowed: ['a'] },
    access_token_expires_in: 60,
  });
});
