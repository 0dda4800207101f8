/** The grant types the token endpoint supports, by grant_type. */
import { authorizationCodeGrant } from './authorization_code.js';
import { clientCredentials } from './client_credentials.js';
import type { Grant } from './grant.js';
import { refreshTokenGrant } from './refresh_token.js';

export const GRANTS: ReadonlyMap<string, Grant> = new Map([authorizationCodeGrant, refreshTokenGrant, clientCredentials].map((grant) => [grant.name, grant]));
