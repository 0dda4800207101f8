import t from 'tap';
import { MANAGE_SCOPE } from '../src/bootstrap.js';
import { verifyPassword } from '../src/factors/password.js';
import { basic, baseYaml, CONFIDENTIAL, makeMasks, post } from './helpers/app.js';

t.test('first boot: the management client and the first manager', async (t) => {
  const { masks, announced } = await makeMasks(t, { yaml: { manager: { nickname: 'Boss', email: 'Boss@Example.com' } } });
  const manage = masks.clients.find('manage')!;
  t.equal(manage.type, 'internal');
  t.same(manage.settings.scopes.required, [MANAGE_SCOPE]);
  t.equal(manage.secretHash, null);
  const manager = masks.actors.findByIdentifier('boss')!;
  t.ok(manager, 'found by nickname, case-insensitively');
  t.same(masks.actors.findByIdentifier('boss@example.com')?.id, manager.id, 'and by email');
  t.same(manager.scopes, [MANAGE_SCOPE]);
  t.equal(announced.length, 1);
  const password = /password \(shown once\): (\S+)$/.exec(announced[0]!)?.[1];
  t.ok(password, 'a generated password is printed once');
  t.ok(await verifyPassword(manager.passwordHash, password!), 'and it works');
  t.match(manager.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});

t.test('a given manager password is used and not printed', async (t) => {
  const { masks, announced } = await makeMasks(t);
  t.same(announced, []);
  t.ok(await verifyPassword(masks.actors.findByIdentifier('manager')!.passwordHash, 'manager-password'));
});

t.test('seeding is idempotent; seeded actors are never overwritten', async (t) => {
  const yaml = {
    ...baseYaml(),
    seeds: {
      ...baseYaml().seeds,
      actors: [{ nickname: 'alice', email: 'alice@example.com', password: 'alice-password', scopes: [MANAGE_SCOPE] }],
    },
  };
  const first = await makeMasks(t, { yaml });
  const clientsBefore = first.masks.clients.list();
  const actorsBefore = first.masks.actors.list();
  t.equal(actorsBefore.length, 1, 'alice holds masks:manage, so no extra manager is created');
  first.clock.advance(100);
  const second = await first.restart();
  t.same(second.masks.clients.list(), clientsBefore, 'clients unchanged, not even updated_at');
  t.same(second.masks.actors.list(), actorsBefore);
  t.same(second.announced, []);

  // The file changes: the seeded client follows it; alice keeps her password.
  const changed = {
    ...yaml,
    seeds: {
      clients: [{ id: CONFIDENTIAL.id, client_type: 'confidential', secret: CONFIDENTIAL.secret, name: 'Renamed', access_token_expires_in: '1 hour' }],
      actors: [{ nickname: 'alice', password: 'a-different-password' }],
    },
  };
  const third = await makeMasks(t, { yaml: changed, dir: first.dir, clock: first.clock });
  await second.close();
  const backend = third.masks.clients.find(CONFIDENTIAL.id)!;
  t.equal(backend.name, 'Renamed');
  t.equal(backend.settings.access_token_expires_in, 3600);
  t.equal(backend.settings.refresh_token_expires_in, 30 * 86_400, 'still inherits the rest');
  t.same(backend.settings.scopes.allowed, [], 'scopes no longer declared: back to the default');
  t.notOk(third.masks.clients.find('spa'), 'a seeded client removed from the file is removed');
  t.ok(third.masks.clients.find('manage'), 'the management client stays');
  t.ok(await verifyPassword(third.masks.actors.findByIdentifier('alice')!.passwordHash, 'alice-password'), 'seeded actor not overwritten');
});

t.test('a confidential seed without a secret gets one, shown once and kept', async (t) => {
  const yaml = { ...baseYaml(), seeds: { clients: [{ id: 'nosecret', client_type: 'confidential' }] } };
  const first = await makeMasks(t, { yaml });
  t.equal(first.announced.length, 1);
  const secret = /\(shown once\): (\S+)$/.exec(first.announced[0]!)![1]!;
  t.match(secret, /^[A-Za-z0-9_-]{43}$/, '256 bits');
  const second = await first.restart();
  t.same(second.announced, [], 'not regenerated at the next boot');
  const response = await post(second.app, '/token', { grant_type: 'client_credentials' }, basic('nosecret', secret));
  t.equal(response.statusCode, 200);
});

t.test('bad seeds stop the boot with a clear message', async (t) => {
  await t.rejects(makeMasks(t, { yaml: { seeds: { clients: [{ id: 'p', client_type: 'public', secret: 'x'.repeat(40) }] } } }), /client "p": only confidential clients have a secret/);
  await t.rejects(makeMasks(t, { yaml: { seeds: { clients: [{ id: 'c', client_type: 'confidential', redirect_uris: ['javascript:alert(1)'] }] } } }), /redirect URI "javascript:alert\(1\)"/);
  await t.rejects(makeMasks(t, { yaml: { seeds: { clients: [{ id: 'c', client_type: 'confidential', redirect_uris: ['https://a.example/cb#frag'] }] } } }), /must not have a fragment/);
  await t.rejects(makeMasks(t, { yaml: { seeds: { clients: [{ id: 'manage' }] } } }), /built-in management client/);
  await t.rejects(makeMasks(t, { yaml: { seeds: { clients: [{ id: 'a' }, { id: 'a' }] } } }), /declared twice/);
  await t.rejects(makeMasks(t, { yaml: { seeds: { actors: [{ nickname: 'bob', password: 'short' }] } } }), /shorter than passwords.min_chars/);
});

t.test('MASKS_SKIP_MIGRATIONS: boot does not migrate', async (t) => {
  const first = await makeMasks(t);
  await first.close();
  const again = await makeMasks(t, { dir: first.dir, env: { MASKS_SKIP_MIGRATIONS: 'true' } });
  t.ok(again.masks.clients.find('manage'), 'an already-migrated database boots');
  await t.rejects(makeMasks(t, { env: { MASKS_SKIP_MIGRATIONS: 'true' } }), /no such table/, 'an empty one is left empty, so boot stops');
});
