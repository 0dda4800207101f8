/**
 * Errors of the sign-in core, by reason code; the pages turn each reason into words and a
 * status (src/pages/errors.ts). The OAuth error family is src/oauth/errors.ts.
 */

/** Why an attempt cannot be worked on from this browser. */
export type SignInErrorReason = 'attempt-unknown' | 'attempt-finished' | 'attempt-expired' | 'client-gone';

export class SignInError extends Error {
  override name = 'SignInError';
  constructor(readonly reason: SignInErrorReason) {
    super(reason);
  }
}
