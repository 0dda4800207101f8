import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { makeMasks, tempDir } from './helpers/app.js';

t.test('keys are created on first boot, private, and persist across restarts', async (t) => {
  const first = await makeMasks(t);
  const file = first.config.private_key;
  t.equal(statSync(file).mode & 0o777, 0o600, 'private key file mode 0600');
  const jwks = (await first.app.inject('/jwks')).json() as { keys: JWK[] };
  t.same(jwks.keys.map((k) => k.alg).sort(), ['ES256', 'RS256']);
  for (const key of jwks.keys) {
    t.equal(key.kid, await calculateJwkThumbprint(key, 'sha256'), 'kid is the JWK thumbprint');
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) t.notOk(member in key, `no private member ${member}`);
    t.equal(key.use, 'sig');
  }
  const pem = readFileSync(file, 'utf8');
  const second = await first.restart();
  t.same((await second.app.inject('/jwks')).json(), jwks, 'same JWKS after restart');
  t.equal(readFileSync(file, 'utf8'), pem, 'key file untouched');
});

t.test('JWTs are signed in the JWS compact form any library verifies, with either key', async (t) => {
  const { app, masks } = await makeMasks(t);
  const jwks = createLocalJWKSet((await app.inject('/jwks')).json());
  const payload = { iss: 'https://masks.example', sub: 'ünïcode ✓', aud: ['a', 'b'], exp: 4_000_000_000, nested: { n: 1 } };
  for (const alg of ['RS256', 'ES256'] as const) {
    const signed = await masks.keys.sign(payload, alg, 'at+jwt');
    const { payload: verified, protectedHeader } = await jwtVerify(signed, jwks, { algorithms: [alg] });
    t.same(verified, payload, `${alg}: the payload as given`);
    t.same(protectedHeader, { alg, kid: masks.keys.key(alg).kid, typ: 'at+jwt' }, `${alg}: alg, kid and typ in the header`);
    const [header, body, signature] = signed.split('.');
    t.equal(Buffer.from(signature!, 'base64url').length, alg === 'ES256' ? 64 : 256, `${alg}: signature length (ES256 as R || S)`);
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone else' })).toString('base64url')}.${signature}`;
    await t.rejects(jwtVerify(forged, jwks), `${alg}: a changed payload does not verify`);
    t.ok(body, 'three parts');
  }
  t.notOk(JSON.parse(Buffer.from((await masks.keys.sign(payload, 'RS256')).split('.')[0]!, 'base64url').toString()).typ, 'no typ unless asked');
});

t.test('rotation adds a new active key and keeps publishing the old one until its tokens expire', async (t) => {
  const first = await makeMasks(t);
  const before = (await first.app.inject('/jwks')).json() as { keys: JWK[] };
  const rotated = await first.masks.keys.rotate(3600);
  const oldToken = before.keys.find((k) => k.alg === 'RS256')!.kid;
  t.not(rotated.find((k) => k.alg === 'RS256')!.kid, oldToken);
  const after = (await first.app.inject('/jwks')).json() as { keys: JWK[] };
  t.equal(after.keys.length, 4, 'old and new keys published');
  const signed = await first.masks.keys.sign({ iss: 'x', sub: 'y' }, 'RS256');
  const { protectedHeader } = await jwtVerify(signed, createLocalJWKSet(after));
  t.equal(protectedHeader.kid, rotated.find((k) => k.alg === 'RS256')!.kid, 'signs with the new key');

  first.clock.advance(3601);
  const later = await first.restart();
  const published = ((await later.app.inject('/jwks')).json() as { keys: JWK[] }).keys.map((k) => k.kid);
  t.same(published.sort(), rotated.map((k) => k.kid).sort(), 'the old key is gone once its tokens have expired');
});

t.test('an operator-provided RSA key is used as is; the missing ES256 key is added', async (t) => {
  const dir = tempDir(t);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = `${dir}/operator.pem`;
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const { masks } = await makeMasks(t, { env: { MASKS_PRIVATE_KEY: keyFile } });
  const expected = await calculateJwkThumbprint(privateKey.export({ format: 'jwk' }) as JWK); // thumbprints use the public members only
  t.equal(masks.keys.key('RS256').kid, expected);
  t.match(readFileSync(keyFile, 'utf8'), /(BEGIN PRIVATE KEY[\s\S]*){2}/, 'ES256 key appended');
});

t.test('an unreadable key file stops the boot', async (t) => {
  const dir = tempDir(t);
  writeFileSync(`${dir}/bad.pem`, 'not a key');
  await t.rejects(makeMasks(t, { env: { MASKS_PRIVATE_KEY: `${dir}/bad.pem` } }), /holds no PKCS#8 private key/);
});
