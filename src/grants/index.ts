/** The grant types the token endpoint supports, by grant_type. */
import { clientCredentials } from './client_credentials.js';
import type { Grant } from './grant.js';

export const GRANTS: ReadonlyMap<string, Grant> = new Map([clientCredentials].map((grant) => [grant.name, grant]));
