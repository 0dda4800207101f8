/**
 * masks' errors, one closed family. Each surface has one place that turns them into
 * responses: src/endpoints/respond.ts for the JSON endpoints, src/pages/errors.ts for the
 * pages; the CLI prints the message of an InputError or ConfigError and stops.
 */
import type { OAuthError } from './oauth/errors.js';

/** An error of the OAuth protocols, sent as RFC 6749 5.2 JSON (src/oauth/errors.ts has the codes). */
export type { OAuthError };

/** An error shown on masks' own error page (the client or redirect_uri cannot be trusted with it). */
export class PageError extends Error {
  override name = 'PageError';
  constructor(
    readonly title: string,
    readonly detail: string,
    readonly status = 400,
    /** What went wrong in plain words for the client's administrator (integration diagnostics), when it differs from `detail`. */
    readonly diagnosis?: string,
  ) {
    super(`${title}: ${detail}`);
  }
}

/** An error for the client, sent to its verified redirect_uri with state and iss (RFC 9207). */
export class RedirectError extends Error {
  override name = 'RedirectError';
  constructor(
    readonly oauth: OAuthError,
    readonly redirectUri: string,
    readonly state: string | undefined,
  ) {
    super(oauth.message);
  }
}

/** Why an attempt cannot be worked on from this browser (the pages have the words). */
export type SignInErrorReason = 'attempt-unknown' | 'attempt-finished' | 'attempt-expired' | 'client-gone' | 'link-expired' | 'link-elsewhere';

export class SignInError extends Error {
  override name = 'SignInError';
  constructor(readonly reason: SignInErrorReason) {
    super(reason);
  }
}

/** Too much work queued already (password hashing): answer 503, do not pile up memory. */
export class Busy extends Error {
  override name = 'Busy';
}

/** The database does not answer (PostgreSQL restarting, the network gone): 503 too, and the node recovers by itself. */
export class StoreUnavailable extends Busy {
  override name = 'StoreUnavailable';
}

/** The Busy an error is, or was caused by (a query builder wraps what the driver threw). */
export function busyIn(error: unknown): Busy | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) if (current instanceof Busy) return current;
  return undefined;
}

/** Something wrong in a seed, a CLI argument or (next) a management API body; the message says what. */
export class InputError extends Error {
  override name = 'InputError';

  /** The same problem, said of `subject` (e.g. `actor "bob"`). */
  about(subject: string): InputError {
    return new InputError(`${subject}: ${this.message}`);
  }
}

/** A write that named the revision it was based on (If-Match) found a newer one: nothing was written. */
export class StaleError extends Error {
  override name = 'StaleError';
  constructor() {
    super('it was changed since it was read');
  }
}

/** A change that would leave nobody holding a scope that must stay held (the last manager): nothing was written. */
export class LastHolderError extends Error {
  override name = 'LastHolderError';
  constructor(readonly scope: string) {
    super(`nobody else holds ${scope}`);
  }
}

/** A configuration problem; its message names the key and is meant for the operator. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The whole family. */
export type MasksError = OAuthError | PageError | RedirectError | SignInError | Busy | InputError | StaleError | LastHolderError | ConfigError;
