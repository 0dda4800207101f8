/**
 * The OAuth error family (RFC 6749 5.2, 4.1.2.1; RFC 6750 3.1; RFC 7009; OIDC Core 3.1.2.6).
 * Every endpoint throws these; one handler per surface turns them into responses. Every
 * description is made to conform to RFC 6749 here, whatever went into it.
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
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported'
  | 'server_error'
  | 'temporarily_unavailable';

const STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

/** Longest error_description masks sends. */
export const MAX_DESCRIPTION = 200;
// RFC 6749 5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ).
const DISALLOWED = /[^\x20\x21\x23-\x5B\x5D-\x7E]/gu;

/**
 * A description RFC 6749 allows: a double quote becomes a single one, any other disallowed
 * character (backslash, control, non-ASCII; one per code point) a "?"; at most MAX_DESCRIPTION.
 */
export function conformDescription(text: string): string {
  const conforming = text.replace(DISALLOWED, (char) => (char === '"' ? "'" : '?'));
  return conforming.length > MAX_DESCRIPTION ? `${conforming.slice(0, MAX_DESCRIPTION - 3)}...` : conforming;
}

/** What a caller-chosen value may look like to be named in a description: a plain identifier, never markup. */
const MENTIONABLE = /^[A-Za-z0-9._:-]{1,64}$/;

/** Caller-chosen values for a description: plain identifiers as they are, anything else not repeated. */
export const mention = (values: readonly string[]): string => values.map((value) => (MENTIONABLE.test(value) ? value : '(a value not shown)')).join(' ');

export interface OAuthErrorOptions {
  status?: number;
  headers?: Record<string, string>;
}

export class OAuthError extends Error {
  override name = 'OAuthError';
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Always conforms to RFC 6749 5.2 (see conformDescription). */
  readonly description?: string;

  constructor(
    readonly error: OAuthErrorCode,
    description?: string,
    options: OAuthErrorOptions = {},
  ) {
    const conforming = description ? conformDescription(description) : undefined;
    super(conforming ? `${error}: ${conforming}` : error);
    if (conforming) this.description = conforming;
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
