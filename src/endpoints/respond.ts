/** The one place where errors become HTTP responses for the JSON endpoints. */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { busyIn } from '../errors.js';
import { OAuthError } from '../oauth/errors.js';

/** Turn a Fastify or framework error into the OAuth error a client library expects. */
export function toOAuthError(error: unknown): OAuthError | undefined {
  if (error instanceof OAuthError) return error;
  if (busyIn(error)) return new OAuthError('temporarily_unavailable', 'masks is busy; try again shortly', { headers: { 'retry-after': '1' } });
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return new OAuthError('invalid_request', 'request body too large', { status: 413 });
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
    if (status === 404 || status === 405) return new OAuthError('invalid_request', 'no such endpoint', { status });
    return new OAuthError('invalid_request', 'malformed request');
  }
  return undefined;
}

export function sendOAuthError(reply: FastifyReply, error: OAuthError): FastifyReply {
  return reply.code(error.status).headers({ ...error.headers, 'cache-control': 'no-store', pragma: 'no-cache' }).send(error.toJSON());
}

/** Fastify error handler for the JSON endpoints: OAuth errors as RFC 6749 5.2 bodies; anything else a bare 500. */
export function jsonErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const oauthError = toOAuthError(error);
  if (oauthError) return sendOAuthError(reply, oauthError);
  request.log.error({ err: error }, 'unexpected error');
  return sendOAuthError(reply, new OAuthError('server_error', 'something went wrong on our side'));
}

/** A JSON answer that must never be cached (tokens, introspection). */
export function sendNoStore(reply: FastifyReply, body: unknown): FastifyReply {
  return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send(body);
}
