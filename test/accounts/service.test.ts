/** Unit tests of the accounts service: every rule of creating an actor. */
import t from 'tap';
import { actorProblem, createActor } from '../../src/accounts/service.js';
import type { Config } from '../../src/config/schema.js';
import type { Masks } from '../../src/context.js';
import { verifyPassword } from '../../src/factors/password.js';
import { InputError } from '../../src/errors.js';
import { makeMasks } from '../helpers/app.js';

/** The same stores under a changed configuration. */
const withConfig = (masks: Masks, change: Partial<Config>) => ({ store: masks.store, config: { ...masks.config, ...change } });

t.test('an actor needs a nickname or an email address', async (t) => {
  const { masks } = await makeMasks(t);
  t.equal(await actorProblem(masks, {}), 'an actor needs a nickname or an email address');
  t.equal(await actorProblem(masks, { password: 'long-enough-password' }), 'an actor needs a nickname or an email address');
  t.equal(await actorProblem(masks, { nickname: 'alice' }), undefined);
  t.equal(await actorProblem(masks, { email: 'alice@example.com' }), undefined);
});

t.test('identifiers are stored normalised (NFKC, trimmed, lower case) and found either way', async (t) => {
  const { masks } = await makeMasks(t);
  const actor = await createActor(masks, { nickname: ' Ａlice ', email: 'Alice@Example.COM', scopes: ['api'] });
  t.equal(actor.nickname, 'alice', 'the fullwidth Ａ is an A after NFKC');
  t.same(actor.emails.map((e) => e.address), ['alice@example.com']);
  t.equal(actor.emails[0]?.verifiedAt, null, 'not verified unless said so');
  t.same(actor.scopes, ['api']);
  t.equal(actor.passwordHash, null, 'no password: none stored');
  t.equal((await masks.store.actors.findByIdentifier('alice'))?.id, actor.id);
  const verified = await createActor(masks, { email: 'bob@example.com', emailVerified: true });
  t.ok(verified.emails[0]?.verifiedAt);
});

t.test('nicknames and email addresses only while enabled', async (t) => {
  const { masks } = await makeMasks(t);
  const noNicknames = withConfig(masks, { nicknames: { enabled: false } });
  t.equal(await actorProblem(noNicknames, { nickname: 'alice' }), 'nicknames are turned off (nicknames.enabled)');
  t.equal(await actorProblem(noNicknames, { email: 'alice@example.com' }), undefined);
  const noEmails = withConfig(masks, { emails: { ...masks.config.emails, enabled: false } });
  t.equal(await actorProblem(noEmails, { nickname: 'alice', email: 'alice@example.com' }), 'email addresses are turned off (emails.enabled)');
  t.equal(await actorProblem(noEmails, { nickname: 'alice' }), undefined);
});

t.test('a nickname: not blank, at most 64 characters, visible, never taken for an email address', async (t) => {
  const { masks } = await makeMasks(t);
  t.equal(await actorProblem(masks, { nickname: '   ' }), 'the nickname is blank');
  t.equal(await actorProblem(masks, { nickname: 'x'.repeat(64) }), undefined);
  t.equal(await actorProblem(masks, { nickname: '\u{1F600}'.repeat(64) }), undefined, 'characters, not UTF-16 units');
  t.equal(await actorProblem(masks, { nickname: 'x'.repeat(65) }), 'the nickname is longer than 64 characters');
  t.equal(await actorProblem(masks, { nickname: 'al\u200bice' }), 'the nickname has control or invisible characters');
  t.equal(await actorProblem(masks, { nickname: 'al\u0007ice' }), 'the nickname has control or invisible characters');
  t.equal(await actorProblem(masks, { nickname: 'alice@home' }), 'a nickname must not contain "@" (it would be taken for an email address)');
});

t.test('an email address: not blank, looks like one, at most 320 characters', async (t) => {
  const { masks } = await makeMasks(t);
  t.equal(await actorProblem(masks, { email: ' ' }), 'the email address is blank');
  for (const email of ['alice', 'alice@', '@example.com', 'a@b@c', 'al ice@example.com']) {
    t.equal(await actorProblem(masks, { email }), `${JSON.stringify(email)} is not an email address`, email);
  }
  t.equal(await actorProblem(masks, { email: `${'a'.repeat(64)}@${'b'.repeat(255)}` }), undefined);
  t.equal(await actorProblem(masks, { email: `${'a'.repeat(65)}@${'b'.repeat(255)}` }), 'the email address is longer than 320 characters');
});

t.test('identifiers are unique across nicknames and email addresses', async (t) => {
  const { masks } = await makeMasks(t);
  await createActor(masks, { nickname: 'alice', email: 'alice@example.com' });
  t.equal(await actorProblem(masks, { nickname: 'ALICE' }), 'an actor with the nickname or email address "alice" already exists', 'nickname against nickname, normalised');
  t.equal(await actorProblem(masks, { email: 'Alice@Example.com' }), 'an actor with the nickname or email address "alice@example.com" already exists', 'email against email');
  t.equal(await actorProblem(masks, { nickname: 'bob', email: 'alice@example.com' }), 'an actor with the nickname or email address "alice@example.com" already exists', 'either identifier');
  // Nicknames with @ are refused now, but a stored one must still block the same email address.
  await masks.store.actors.create({ nickname: 'carol@example.com' });
  t.equal(await actorProblem(masks, { email: 'carol@example.com' }), 'an actor with the nickname or email address "carol@example.com" already exists', 'email against nickname');
  await t.rejects(createActor(masks, { nickname: 'alice' }), new InputError('an actor with the nickname or email address "alice" already exists'));
  t.equal((await masks.store.actors.list()).filter((actor) => actor.nickname === 'alice').length, 1, 'nothing written');
});

t.test('the one password rule, then argon2id', async (t) => {
  const { masks } = await makeMasks(t, { yaml: { manager: { password: 'manager-password' }, passwords: { min_chars: 8, max_chars: 20 } } });
  t.equal(await actorProblem(masks, { nickname: 'a', password: 'short' }), 'the password is shorter than passwords.min_chars (8)');
  t.equal(await actorProblem(masks, { nickname: 'a', password: 'x'.repeat(21) }), 'the password is longer than passwords.max_chars (20)');
  t.equal(await actorProblem(masks, { nickname: 'a', password: '\u{1F600}'.repeat(20) }), undefined, 'code points after NFKC');
  await t.rejects(createActor(masks, { nickname: 'dave', password: 'short' }), new InputError('the password is shorter than passwords.min_chars (8)'));
  t.notOk(await masks.store.actors.findByIdentifier('dave'), 'nothing written');
  const erin = await createActor(masks, { nickname: 'erin', password: 'erin-password' });
  t.match(erin.passwordHash, /^\$argon2id\$/);
  t.ok(await verifyPassword(erin.passwordHash, 'erin-password'));
});

t.test('scopes are RFC 6749 scope tokens', async (t) => {
  const { masks } = await makeMasks(t);
  t.equal(await actorProblem(masks, { nickname: 'a', scopes: ['masks:manage', 'api'] }), undefined);
  t.equal(await actorProblem(masks, { nickname: 'a', scopes: ['two words'] }), 'scope "two words" has characters outside RFC 6749 3.3');
  t.equal(await actorProblem(masks, { nickname: 'a', scopes: [''] }), 'scope "" has characters outside RFC 6749 3.3');
});
