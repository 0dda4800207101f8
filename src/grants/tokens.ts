/** The token response of a signed-in grant: access token, rotated refresh token, ID token. */
import type { Masks } from '../context.js';
import type { NewToken, SignInFacts } from '../model.js';
import { accessToken, idToken, refreshToken, type AccessTokenResponse, type Grantee } from '../oauth/issue.js';

/** The tokens of a signed-in grant; `grantee.sid` is the session they belong to. */
export async function signedInTokens(
  masks: Masks,
  grantee: Grantee,
  facts: SignInFacts & { grant_expires_at: number },
  nonce?: string,
): Promise<{ rows: NewToken[]; response: AccessTokenResponse }> {
  const access = await accessToken(masks, grantee, facts);
  const refresh = refreshToken(masks, grantee, facts);
  const response: AccessTokenResponse = { ...access.response, refresh_token: refresh.token };
  if (grantee.scopes.includes('openid')) {
    response.id_token = await idToken(masks, grantee.client, { sub: grantee.sub, authTime: facts.auth_time, amr: facts.amr, nonce, sid: grantee.sid ?? undefined, accessToken: access.token });
  }
  return { rows: [access.row, refresh.row], response };
}
