/**
 * The one place where errors become responses on the pages: masks' own error page, or a
 * redirect to the client's verified redirect_uri. Never a stack trace, never a redirect
 * anywhere unverified.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import { busyIn, PageError, RedirectError, SignInError, type SignInErrorReason } from '../errors.js';
import { clientRedirect } from '../oauth/authorization_request.js';
import { OAuthError } from '../oauth/errors.js';
import { renderMessage } from './render.js';

/** Status, title and detail of the page for a SignInError. */
const SIGN_IN_ERRORS: Record<SignInErrorReason, [number, string, string]> = {
  'attempt-unknown': [404, 'Sign-in not found', 'This sign-in is not known on this browser. Go back to the application and start again.'],
  'attempt-finished': [410, 'Sign-in already finished', 'This sign-in has already been completed. Go back to the application.'],
  'attempt-expired': [410, 'Sign-in expired', 'This sign-in took too long. Go back to the application and start again.'],
  'client-gone': [404, 'Unknown application', 'The application of this sign-in no longer exists.'],
  'link-expired': [410, 'Link expired', 'This sign-in link was used already or has expired. Go back to the application and ask for a new one.'],
  'link-elsewhere': [403, 'Open the link where you asked for it', 'This sign-in link works only in the browser where you asked for it. Open it there, or type the code from the email on that sign-in page.'],
};

export function pageErrorHandler(masks: Masks) {
  return (error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof PageError) return renderMessage(masks, reply, error.title, error.detail, error.status);
    if (error instanceof SignInError) {
      const [status, title, detail] = SIGN_IN_ERRORS[error.reason];
      return renderMessage(masks, reply, title, detail, status);
    }
    if (error instanceof RedirectError) {
      return reply.redirect(clientRedirect(error.redirectUri, masks.config.url, { error: error.oauth.error, error_description: error.oauth.description, state: error.state }));
    }
    if (busyIn(error)) return renderMessage(masks, reply.header('retry-after', '1'), 'Busy', 'masks is very busy right now. Wait a moment and try again.', 503);
    const status = (error as { statusCode?: number }).statusCode;
    if (error instanceof OAuthError || (typeof status === 'number' && status < 500)) {
      return renderMessage(masks, reply, 'Bad request', 'masks could not understand this request. Go back and try again.', status === 413 ? 413 : 400);
    }
    request.log.error({ err: error }, 'unexpected error');
    return renderMessage(masks, reply, 'Something went wrong', 'masks failed to handle this request. Try again; if it keeps happening, tell the administrator.', 500);
  };
}
