/** Unit tests of the `sub` a client sees (src/oauth/subjects.ts, OIDC Core 8). */
import t from 'tap';
import type { ClientSettings } from '../../src/config/schema.js';
import { sectorOf, subjectFor } from '../../src/oauth/subjects.js';
import type { Client } from '../../src/model.js';
import { CONFIDENTIAL, makeMasks } from '../helpers/app.js';

/** A client like the seeded confidential one, with other redirect URIs and settings. */
const variant = (base: Client, redirectUris: string[], settings: Partial<ClientSettings> = {}): Client => ({ ...base, redirectUris, settings: { ...base.settings, ...settings } });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

t.test('the sector: sector_identifier, else the host of the first absolute redirect URI, else the issuer', async (t) => {
  const { masks } = await makeMasks(t);
  const base = (await masks.store.clients.find(CONFIDENTIAL.id))!;
  t.equal(sectorOf(masks, variant(base, ['https://app.example:8443/cb', 'https://other.example/cb'])), 'app.example:8443');
  t.equal(sectorOf(masks, variant(base, ['https://app.example/cb'], { sector_identifier: 'sector.example' })), 'sector.example');
  t.equal(sectorOf(masks, variant(base, ['/manage', 'https://app.example/cb'])), 'app.example', 'a path is not a host');
  t.equal(sectorOf(masks, variant(base, [])), 'localhost:5000', 'no redirect URI: the issuer host');
});

t.test('pairwise-uuid: stable per sector, different across sectors and actors, a UUID', async (t) => {
  const first = await makeMasks(t);
  const { masks } = first;
  const alice = await masks.store.actors.create({ nickname: 'alice' });
  const bob = await masks.store.actors.create({ nickname: 'bob' });
  const base = (await masks.store.clients.find(CONFIDENTIAL.id))!;
  t.equal(base.settings.subject_type, 'pairwise-uuid', 'the default');
  const app = variant(base, ['https://app.example/cb']);
  const sameSector = variant(base, ['https://app.example/other']);
  const declared = variant(base, ['https://elsewhere.example/cb'], { sector_identifier: 'app.example' });
  const other = variant(base, ['https://other.example/cb']);

  const sub = subjectFor(masks, app, alice);
  t.match(sub, UUID, 'a version 8 UUID');
  t.equal(subjectFor(masks, app, alice), sub, 'stable');
  t.equal(subjectFor(masks, sameSector, alice), sub, 'the same for every client of the sector');
  t.equal(subjectFor(masks, declared, alice), sub, 'a declared sector_identifier joins the sector');
  t.not(subjectFor(masks, other, alice), sub, 'different in another sector');
  t.not(subjectFor(masks, app, bob), sub, 'different for another actor');
  t.not(sub, alice.publicUuid, 'not the public UUID');

  const again = await first.restart();
  t.equal(subjectFor(again.masks, app, (await again.masks.store.actors.find(alice.id))!), sub, 'stable across restarts (the installation secret)');
});

t.test('public-uuid: the actor\'s random UUID, the same for every client', async (t) => {
  const { masks } = await makeMasks(t);
  const alice = await masks.store.actors.create({ nickname: 'alice' });
  const base = (await masks.store.clients.find(CONFIDENTIAL.id))!;
  t.equal(subjectFor(masks, variant(base, ['https://a.example/cb'], { subject_type: 'public-uuid' }), alice), alice.publicUuid);
  t.equal(subjectFor(masks, variant(base, ['https://b.example/cb'], { subject_type: 'public-uuid' }), alice), alice.publicUuid);
});

t.test('public-identifier: the nickname, else the first email address, else the public UUID', async (t) => {
  const { masks } = await makeMasks(t);
  const client = variant((await masks.store.clients.find(CONFIDENTIAL.id))!, [], { subject_type: 'public-identifier' });
  t.equal(subjectFor(masks, client, await masks.store.actors.create({ nickname: 'alice', email: 'alice@example.com' })), 'alice');
  t.equal(subjectFor(masks, client, await masks.store.actors.create({ email: 'bob@example.com' })), 'bob@example.com');
  const nameless = await masks.store.actors.create({});
  t.equal(subjectFor(masks, client, nameless), nameless.publicUuid);
});
