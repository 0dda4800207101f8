import t from 'tap';
import { Sealer } from '../../src/security/sealing.js';

t.test('sealed values open only with the same installation secret, purpose and binding', async (t) => {
  const sealer = new Sealer(Buffer.alloc(32, 1));
  const sealed = sealer.seal('totp', 'actor-1 auth-1', 'JBSWY3DPEHPK3PXP');
  t.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
  t.notMatch(sealed, /JBSWY3DPEHPK3PXP/);
  t.equal(sealer.open('totp', 'actor-1 auth-1', sealed), 'JBSWY3DPEHPK3PXP');
  t.not(sealer.seal('totp', 'actor-1 auth-1', 'JBSWY3DPEHPK3PXP'), sealed, 'a new IV each time');
  t.equal(sealer.open('totp', 'actor-2 auth-1', sealed), undefined, 'copied to another actor');
  t.equal(sealer.open('totp-setup', 'actor-1 auth-1', sealed), undefined, 'another purpose');
  t.equal(new Sealer(Buffer.alloc(32, 2)).open('totp', 'actor-1 auth-1', sealed), undefined, 'another installation');
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  raw[14]! ^= 1;
  t.equal(sealer.open('totp', 'actor-1 auth-1', `v1.${raw.toString('base64url')}`), undefined, 'tampered');
  for (const junk of ['', 'v1.', 'v1.abc', 'v2.' + sealed.slice(3), 'v1.' + 'A'.repeat(5000)]) t.equal(sealer.open('totp', 'actor-1 auth-1', junk), undefined, `junk ${junk.slice(0, 10)}`);
});
