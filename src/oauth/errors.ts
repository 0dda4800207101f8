/**
 * The OAuth error family (RFC 6749 5.2, 4.1.2.1; RFC 6750 3.1; RFC 7009; OIDC Core 3.1.2.6).
 * Every endpoint throws these; one handler per surface turns them into responses.
 */

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'server_error'
  | 'temporarily_unavailable';

const STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

export interface OAuthErrorOptions {
  status?: number;
  headers?: Record<string, string>;
}

export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description?: string,
    options: OAuthErrorOptions = {},
  ) {
    super(description ? `${error}: ${description}` : error);
    this.status = options.status ?? STATUS[error] ?? 400;
    this.headers = options.headers ?? {};
  }

  /** The JSON body (RFC 6749 5.2). */
  toJSON(): { error: OAuthErrorCode; error_description?: string } {
    return this.description ? { error: this.error, error_description: this.description } : { error: this.error };
  }
}

export const invalidRequest = (description: string) => new OAuthError('invalid_request', description);
export const invalidGrant = (description: string) => new OAuthError('invalid_grant', description);
export const invalidScope = (description: string) => new OAuthError('invalid_scope', description);
export const unauthorizedClient = (description: string) => new OAuthError('unauthorized_client', description);

/** Client authentication failed: 401 with a Basic challenge, the same body whatever the cause. */
export const invalidClient = () =>
  new OAuthError('invalid_client', 'client authentication failed', {
    headers: { 'www-authenticate': 'Basic realm="masks", charset="UTF-8"' },
  });

/** Too many failed attempts from this address or for this account. */
export const tooManyAttempts = (retryAfterSeconds: number) =>
  new OAuthError('invalid_request', 'too many failed attempts; try again later', {
    status: 429,
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
