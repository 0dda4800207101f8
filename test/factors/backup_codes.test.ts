import t from 'tap';
import { hashBackupCode, newBackupCodes, normaliseBackupCode } from '../../src/factors/backup_codes.js';
import { Keyed } from '../../src/security/secrets.js';

t.test('a set of codes: unambiguous characters, at least 10 of them, all different', async (t) => {
  const codes = newBackupCodes(500);
  t.equal(codes.length, 500);
  t.equal(new Set(codes).size, 500);
  for (const code of codes) {
    t.match(code, /^[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}-[2-9A-HJKMNP-TW-Z]{4}$/);
    t.notMatch(code, /[01ILOUV]/);
  }
});

t.test('typed in any case, with or without dashes and spaces, a code is the same code', async (t) => {
  const [code] = newBackupCodes(1);
  const keyed = new Keyed(Buffer.alloc(32, 7));
  const stored = hashBackupCode(keyed, code!);
  for (const typed of [code!, code!.toLowerCase(), code!.replace(/-/g, ''), code!.replace(/-/g, ' '), ` ${code} `]) t.equal(hashBackupCode(keyed, typed), stored, typed);
  t.equal(normaliseBackupCode('AAAA-BBBB-CCC'), undefined, 'too short');
  t.equal(normaliseBackupCode('AAAA-BBBB-CCC0'), undefined, 'a character not in the alphabet');
  t.not(hashBackupCode(new Keyed(Buffer.alloc(32, 8)), code!), stored, 'the hash is keyed by the installation secret');
  t.notMatch(stored, code!.replace(/-/g, ''));
});
