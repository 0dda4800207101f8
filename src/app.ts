/** buildApp: the Fastify application for a masks installation. It never listens. */
import { randomUUID } from 'node:crypto';
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Masks } from './context.js';
import { BODY_LIMIT } from './limits.js';
import { pageRoutes } from './pages/routes.js';
import { discoveryEndpoints, healthEndpoint } from './endpoints/discovery.js';
import { introspectionEndpoint } from './endpoints/introspect.js';
import { jsonErrorHandler, sendOAuthError, toOAuthError } from './endpoints/respond.js';
import { revocationEndpoint } from './endpoints/revoke.js';
import { tokenEndpoint } from './endpoints/token.js';
import { userinfoEndpoint } from './endpoints/userinfo.js';
import { forwardAuthEndpoints } from './endpoints/forward_auth.js';
import { managementApi } from './manage/api.js';
import { managePages } from './manage/pages.js';
import { accountPages } from './account/pages.js';
import { OAuthError } from './oauth/errors.js';
import { parseForm } from './oauth/form.js';

export interface AppOptions {
  /** Log requests (default: per config.log_level; tests pass false). */
  logger?: boolean;
  /** Where log lines go (default stdout); tests capture them. */
  logStream?: NodeJS.WritableStream;
}

/** Headers every response carries. */
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};


export function buildApp(masks: Masks, options: AppOptions = {}): FastifyInstance {
  const { config } = masks;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    trustProxy: config.trust_proxy.length > 0 ? config.trust_proxy : false,
    return503OnClosing: true,
    // A request id in every log line and in the answer's x-request-id: the balancer's id when it
    // sends a plain one (so one request is followed across the proxy and the nodes), else a new one.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(given) ? given : randomUUID();
    },
    // Errors the router raises before any handler (a malformed URL): the same JSON errors.
    frameworkErrors: (error, _request, reply) => {
      void sendOAuthError(reply.headers(SECURITY_HEADERS), toOAuthError(error) ?? new OAuthError('invalid_request', 'malformed request'));
    },
    logger:
      options.logger === false || config.log_level === 'silent'
        ? false
        : {
            level: config.log_level,
            ...(options.logStream ? { stream: options.logStream } : {}),
            // Never log query strings (codes, id_token_hint) or bodies (secrets, tokens).
            serializers: {
              // A login link's token is a secret until used: its path is logged without it.
              req: (req) => ({ method: req.method, url: req.url.split('?')[0]!.replace(/^\/sign-in\/link\/[^/]*/, '/sign-in/link/…'), remoteAddress: req.ip }),
            },
          },
  });

  if (app.log.level !== 'silent') masks.log = app.log;
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS).header('x-request-id', request.id);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    masks.observe.request(request.routeOptions.url ?? 'unmatched', request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
  app.setErrorHandler(jsonErrorHandler);
  app.setNotFoundHandler((_request, reply) => sendOAuthError(reply, new OAuthError('invalid_request', 'no such endpoint', { status: 404 })));

  app.register(async (oauth) => {
    // The OAuth endpoints take application/x-www-form-urlencoded only (RFC 6749 3.2, RFC 7662, RFC 7009).
    oauth.removeAllContentTypeParsers();
    await oauth.register(formbody, { bodyLimit: BODY_LIMIT, parser: parseForm });
    tokenEndpoint(oauth, masks);
    introspectionEndpoint(oauth, masks);
    revocationEndpoint(oauth, masks);
    userinfoEndpoint(oauth, masks);
  });
  pageRoutes(app, masks);
  forwardAuthEndpoints(app, masks);
  managementApi(app, masks);
  managePages(app, masks);
  accountPages(app, masks);
  discoveryEndpoints(app, masks);
  healthEndpoint(app, masks);
  return app;
}
