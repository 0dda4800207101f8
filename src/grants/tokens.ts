/** The token response of a signed-in grant: access token, rotated refresh token, ID token. */
import type { Masks } from '../context.js';
import { accessToken, idToken, refreshToken, type AccessTokenResponse, type Grantee } from '../oauth/issue.js';
import type { TokenValues } from '../storage/writes.js';

/** What a signed-in grant remembers about the sign-in (kept with its refresh token). */
export interface SignInFacts {
  auth_time: number;
  amr: string[];
  sid?: string | undefined;
  /** The grant's absolute end (refresh_token_expires_in from the first issue). */
  grant_expires_at: number;
}

export async function signedInTokens(
  masks: Masks,
  grantee: Grantee,
  facts: SignInFacts,
  nonce?: string,
): Promise<{ rows: TokenValues[]; response: AccessTokenResponse }> {
  const access = await accessToken(masks, grantee);
  const refresh = refreshToken(masks, grantee, facts.grant_expires_at, { ...facts });
  const response: AccessTokenResponse = { ...access.response, refresh_token: refresh.token };
  if (grantee.scopes.includes('openid')) {
    response.id_token = await idToken(masks, grantee.client, { sub: grantee.sub, authTime: facts.auth_time, amr: facts.amr, nonce, sid: facts.sid, accessToken: access.token });
  }
  return { rows: [access.row, refresh.row], response };
}
