import t from 'tap';
import { passwordLength, passwordProblem } from '../src/accounts/passwords.js';
import { MANAGE_SCOPE } from '../src/bootstrap.js';
import { verifyPassword } from '../src/factors/password.js';
import { basic, baseYaml, CONFIDENTIAL, makeMasks, post } from './helpers/app.js';

t.test('first boot: the management client and the first manager', async (t) => {
  const { masks, announced } = await makeMasks(t, { yaml: { manager: { nickname: 'Boss', email: 'Boss@Example.com' } } });
  const manage = (await masks.store.clients.find('manage'))!;
  t.equal(manage.type, 'internal');
  t.same(manage.settings.scopes.required, [MANAGE_SCOPE]);
  t.equal(manage.secretHash, null);
  const manager = (await masks.store.actors.findByIdentifier('boss'))!;
  t.ok(manager, 'found by nickname, case-insensitively');
  t.same((await masks.store.actors.findByIdentifier('boss@example.com'))?.id, manager.id, 'and by email');
  t.same(manager.scopes, [MANAGE_SCOPE]);
  t.equal(announced.length, 1);
  const password = /password \(shown once\): (\S+)$/.exec(announced[0]!)?.[1];
  t.ok(password, 'a generated password is printed once');
  t.ok(await verifyPassword(manager.passwordHash, password!), 'and it works');
  t.match(manager.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});

t.test('an actor holding the manager\'s name already (made with the CLI before the first start): no manager, no stop', async (t) => {
  const { masks, announced } = await makeMasks(t, { yaml: { seeds: { actors: [{ nickname: 'manager', password: 'someone-else-password' }] } } });
  t.same((await masks.store.actors.findByIdentifier('manager'))!.scopes, [], 'the existing actor is not handed masks:manage');
  t.match(announced.join('\n'), /no first manager created: the actor "manager" already exists without masks:manage/);
});

t.test('a given manager password is used and not printed', async (t) => {
  const { masks, announced } = await makeMasks(t);
  t.same(announced, []);
  t.ok(await verifyPassword((await masks.store.actors.findByIdentifier('manager'))!.passwordHash, 'manager-password'));
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
  const clientsBefore = await first.masks.store.clients.list();
  const actorsBefore = await first.masks.store.actors.list();
  t.equal(actorsBefore.length, 1, 'alice holds masks:manage, so no extra manager is created');
  first.clock.advance(100);
  const second = await first.restart();
  t.same(await second.masks.store.clients.list(), clientsBefore, 'clients unchanged, not even updated_at');
  t.same(await second.masks.store.actors.list(), actorsBefore);
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
  const backend = (await third.masks.store.clients.find(CONFIDENTIAL.id))!;
  t.equal(backend.name, 'Renamed');
  t.equal(backend.settings.access_token_expires_in, 3600);
  t.equal(backend.settings.refresh_token_expires_in, 30 * 86_400, 'still inherits the rest');
  t.same(backend.settings.scopes.allowed, [], 'scopes no longer declared: back to the default');
  t.notOk(await third.masks.store.clients.find('spa'), 'a seeded client removed from the file is removed');
  t.ok(await third.masks.store.clients.find('manage'), 'the management client stays');
  t.ok(await verifyPassword((await third.masks.store.actors.findByIdentifier('alice'))!.passwordHash, 'alice-password'), 'seeded actor not overwritten');
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

t.test('the one password rule: code points of the NFKC form, between min_chars and max_chars', async (t) => {
  const rule = { min_chars: 8, max_chars: 100 };
  t.equal(passwordLength('\u{1F600}'.repeat(8)), 8, 'an astral character (16 UTF-16 units here) counts once');
  t.equal(passwordProblem(rule, '\u{1F600}'.repeat(8)), undefined);
  t.equal(passwordProblem(rule, '\u{1F600}'.repeat(100)), undefined, '100 emoji are 100 characters, not 200');
  t.equal(passwordLength('e\u0301'.repeat(4)), 4, 'e + combining accent is one é after NFKC');
  t.equal(passwordProblem(rule, 'e\u0301'.repeat(4)), 'the password is shorter than passwords.min_chars (8)', '8 UTF-16 units, 4 characters');
  t.equal(passwordProblem(rule, '\uFB03'.repeat(3)), undefined, 'the ligature ffi is three characters after NFKC');
  t.equal(passwordProblem(rule, 'x'.repeat(101)), 'the password is longer than passwords.max_chars (100)');
  t.equal(passwordProblem(rule, 'x'.repeat(100)), undefined);
  t.match(passwordProblem(rule, 'abcd\nefgh'), /control character/, 'a line break: nobody can type it into a password field');
  t.match(passwordProblem(rule, 'abcd\tefgh'), /control character/);
});

t.test('seeds and the first manager follow the one password rule', async (t) => {
  await t.rejects(
    makeMasks(t, { yaml: { passwords: { max_chars: 20 }, seeds: { actors: [{ nickname: 'bob', password: 'x'.repeat(21) }] } } }),
    /^actor "bob": the password is longer than passwords\.max_chars \(20\)$/,
    'a seed password over max_chars stops the boot',
  );
  await t.rejects(
    makeMasks(t, { yaml: { seeds: { actors: [{ nickname: 'bob', password: 'e\u0301'.repeat(4) }] } } }),
    /actor "bob": the password is shorter than passwords\.min_chars \(8\)/,
  );
  await t.rejects(makeMasks(t, { yaml: { passwords: { max_chars: 10 }, manager: { password: 'x'.repeat(11) } } }), /actor "manager": the password is longer than passwords\.max_chars/);

  const emoji = '\u{1F600}'.repeat(600);
  const { masks } = await makeMasks(t, { yaml: { passwords: { max_chars: 1000 }, seeds: { actors: [{ nickname: 'carol', password: emoji }] } } });
  t.ok(await verifyPassword((await masks.store.actors.findByIdentifier('carol'))!.passwordHash, emoji), '600 emoji (1,200 UTF-16 units) fit max_chars 1000');

  for (const passwords of [{ min_chars: 8, max_chars: 12 }, { min_chars: 40, max_chars: 100 }]) {
    const { masks: booted, announced } = await makeMasks(t, { yaml: { passwords } });
    const generated = /password \(shown once\): (\S+)$/.exec(announced[0]!)?.[1];
    t.equal(passwordProblem(passwords, generated!), undefined, `the generated manager password keeps ${JSON.stringify(passwords)}`);
    t.ok(await verifyPassword((await booted.store.actors.findByIdentifier('manager'))!.passwordHash, generated!));
  }
});

t.test('MASKS_SKIP_MIGRATIONS: boot does not migrate', async (t) => {
  const first = await makeMasks(t);
  await first.close();
  const again = await makeMasks(t, { dir: first.dir, env: { MASKS_SKIP_MIGRATIONS: 'true' } });
  t.ok(await again.masks.store.clients.find('manage'), 'an already-migrated database boots');
  await t.rejects(makeMasks(t, { env: { MASKS_SKIP_MIGRATIONS: 'true' } }), /needs migrating \(0 of \d+ migrations applied\): run `masks migrate`/, 'an empty one is left empty, so boot stops, saying what to do');
});

t.test('a client may demand every check of the contract, itself or through clients.checks', async (t) => {
  const every = ['device', 'credentials', 'second-factor', 'client-consent', 'onboarded', 'verified-email'];
  const { masks } = await makeMasks(t, { yaml: { ...baseYaml(), seeds: { clients: [{ id: 'strict', client_type: 'confidential', checks: every }] } } });
  t.same((await masks.store.clients.find('strict'))?.settings.checks, every);
  const inherited = await makeMasks(t, { yaml: { ...baseYaml(), clients: { checks: every } } });
  t.same((await inherited.masks.store.clients.find('manage'))?.settings.checks, every, 'the management client inherits them');
});

t.test('the first manager when nicknames are turned off: by email address, which must be given', async (t) => {
  const { masks } = await makeMasks(t, { yaml: { nicknames: { enabled: false }, manager: { email: 'Boss@Example.com', password: 'manager-password' } } });
  const manager = (await masks.store.actors.findByIdentifier('boss@example.com'))!;
  t.equal(manager.nickname, null, 'no nickname that could never be used');
  t.same(manager.scopes, [MANAGE_SCOPE]);
  await t.rejects(
    makeMasks(t, { yaml: { nicknames: { enabled: false }, manager: { password: 'manager-password' } } }),
    /^nicknames are turned off \(nicknames\.enabled\): give the first manager an email address \(manager\.email\)$/,
  );
});

t.test('a seeded actor follows every rule of the accounts service', async (t) => {
  await t.rejects(makeMasks(t, { yaml: { ...baseYaml(), seeds: { actors: [{ nickname: 'bob@home' }] } } }), /^actor "bob@home": a nickname must not contain "@"/);
  await t.rejects(makeMasks(t, { yaml: { ...baseYaml(), emails: { enabled: false }, seeds: { actors: [{ email: 'bob@example.com' }] } } }), /^actor "bob@example.com": email addresses are turned off/);
});
