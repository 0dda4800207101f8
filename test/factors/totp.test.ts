import t from 'tap';
import { Secret, TOTP } from 'otpauth';
import { matchTotp, newTotpSecret, qrSvg, TOTP_PERIOD, totpCode, totpUri } from '../../src/factors/totp.js';

const NOW = 1_800_000_000;

t.test('secrets are 20 random bytes in base32', async (t) => {
  const secret = newTotpSecret();
  t.equal(Secret.fromBase32(secret).bytes.length, 20);
  t.not(newTotpSecret(), secret);
});

t.test('codes match what an authenticator app computes, one step either side', async (t) => {
  const secret = newTotpSecret();
  const app = new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });
  const code = app.generate({ timestamp: NOW * 1000 });
  t.equal(totpCode(secret, NOW), code);
  const step = Math.floor(NOW / TOTP_PERIOD);
  t.equal(matchTotp(secret, code, NOW), step);
  t.equal(matchTotp(secret, ` ${code.slice(0, 3)} ${code.slice(3)} `, NOW), step, 'spaces are ignored');
  t.equal(matchTotp(secret, app.generate({ timestamp: (NOW - 30) * 1000 }), NOW), step - 1);
  t.equal(matchTotp(secret, app.generate({ timestamp: (NOW + 30) * 1000 }), NOW), step + 1);
  t.equal(matchTotp(secret, app.generate({ timestamp: (NOW + 60) * 1000 }), NOW), undefined);
  t.equal(matchTotp(secret, app.generate({ timestamp: (NOW - 60) * 1000 }), NOW), undefined);
  for (const junk of ['', '12345', '1234567', 'abcdef', '١٢٣٤٥٦']) t.equal(matchTotp(secret, junk, NOW), undefined, `refuses ${JSON.stringify(junk)}`);
});

t.test('the otpauth URI and QR code', async (t) => {
  const uri = new URL(totpUri('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'Acme masks', 'alice'));
  t.equal(uri.protocol, 'otpauth:');
  t.equal(uri.host, 'totp');
  t.equal(decodeURIComponent(uri.pathname), '/Acme masks:alice');
  t.same(Object.fromEntries(uri.searchParams), { issuer: 'Acme masks', secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', algorithm: 'SHA1', digits: '6', period: '30' });
  const svg = qrSvg(uri.href);
  t.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.notMatch(svg, /<script|href=/, 'nothing active in the image');
});
