/** Unit tests of PKCE S256 (src/oauth/pkce.ts, RFC 7636). */
import t from 'tap';
import { isVerifier, s256, verifierMatches } from '../../src/oauth/pkce.js';

// RFC 7636 appendix B.
const VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

t.test('S256: BASE64URL(SHA256(ASCII(code_verifier))), the RFC 7636 appendix B vector', async (t) => {
  t.equal(s256(VERIFIER), CHALLENGE);
  t.ok(verifierMatches(VERIFIER, CHALLENGE));
});

t.test('a wrong verifier or challenge does not match', async (t) => {
  t.notOk(verifierMatches(`${VERIFIER.slice(0, -1)}j`, CHALLENGE), 'one character changed');
  t.notOk(verifierMatches(VERIFIER, `${CHALLENGE.slice(0, -1)}d`));
  t.notOk(verifierMatches(VERIFIER, VERIFIER), 'plain is not S256');
  t.notOk(verifierMatches(VERIFIER, ''));
  t.notOk(verifierMatches(VERIFIER, `${CHALLENGE}=`), 'padding is not base64url');
});

t.test('a verifier is 43 to 128 unreserved characters (RFC 7636 4.1)', async (t) => {
  for (const length of [43, 128]) {
    const verifier = 'a'.repeat(length);
    t.ok(isVerifier(verifier), `${length}`);
    t.ok(verifierMatches(verifier, s256(verifier)));
  }
  for (const length of [0, 42, 129]) {
    const verifier = 'a'.repeat(length);
    t.notOk(isVerifier(verifier), `${length}`);
    t.notOk(verifierMatches(verifier, s256(verifier)), `${length}: refused even when the challenge was made from it`);
  }
  t.ok(isVerifier(`${'A0'.repeat(20)}-._~`), 'letters, digits and - . _ ~');
  for (const char of ['+', '/', '=', ' ', '%', 'é']) {
    const verifier = `${'a'.repeat(42)}${char}`;
    t.notOk(verifierMatches(verifier, s256(verifier)), JSON.stringify(char));
  }
});
