/** The OpenAPI 3.1 document of the management API, generated from its route table and schemas. */
import type { TSchema } from '@sinclair/typebox';
import type { Masks } from '../context.js';
import type { ApiRoute } from './api.js';
import { CSRF_HEADER } from './auth.js';
import { ProblemView } from './schemas.js';

/** A schema as plain JSON Schema (typebox's symbols and transforms dropped). */
const plain = (schema: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

const ERRORS = {
  '400': problem('Malformed request, unknown field or wrong type (each field named in errors)'),
  '401': problem('No valid bearer token or management session'),
  '403': problem('Not allowed: a token without masks:manage, a missing CSRF header, or beyond the caller’s own rights'),
  '404': problem('No such resource'),
};

function operation(route: ApiRoute) {
  const pathParams = [...route.url.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1]!, in: 'path', required: true, schema: { type: 'string' } }));
  const queryParams = route.query
    ? Object.entries((plain(route.query).properties ?? {}) as Record<string, Record<string, unknown>>).map(([name, schema]) => ({ name, in: 'query', required: false, schema }))
    : [];
  const headers = route.method === 'PATCH' || route.method === 'DELETE' ? [{ name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag read with GET; 412 when the resource changed since' }] : [];
  const responses: Record<string, unknown> = {
    [String(route.ok.status)]: route.ok.schema
      ? { description: 'OK', ...(route.etag ? { headers: { ETag: { schema: { type: 'string' } } } } : {}), content: { 'application/json': { schema: plain(route.ok.schema) } } }
      : { description: 'Done' },
    ...ERRORS,
    ...(route.method !== 'GET' ? { '409': problem('Read-only (declared in masks.yml, or masks’ own) or would leave no manager'), '422': problem('Breaks a rule (a taken nickname, a bad redirect URI, ...)') } : {}),
    ...(route.etag && route.method !== 'GET' ? { '412': problem('If-Match does not match: changed since it was read') } : {}),
  };
  return {
    summary: route.summary,
    operationId: `${route.method.toLowerCase()}${route.url.replace(/\/:?(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z]/g, '')}`,
    parameters: [...pathParams, ...queryParams, ...headers],
    ...(route.body
      ? {
          requestBody: {
            required: route.method !== 'POST' || !route.url.endsWith('/secret'),
            content: { [route.method === 'PATCH' ? 'application/merge-patch+json' : 'application/json']: { schema: plain(route.body) } },
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument(masks: Masks, prefix: string, routes: ApiRoute[]) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `${prefix}${route.url.replace(/:(\w+)/g, '{$1}')}`;
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: `${masks.config.name} management API`, version: '1', description: 'Manage clients, actors, sessions and devices, and read the audit trail.' },
    servers: [{ url: new URL(masks.config.url).origin + new URL(masks.config.url).pathname.replace(/\/$/, '') }],
    security: [{ bearer: [] }, { session: [], csrf: [] }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An access token whose scopes include masks:manage' },
        session: { type: 'apiKey', in: 'cookie', name: 'masks_internal', description: 'The /manage session (changes also need the CSRF header)' },
        csrf: { type: 'apiKey', in: 'header', name: CSRF_HEADER, description: 'The CSRF token of the /manage page' },
      },
      schemas: { Problem: plain(ProblemView) },
    },
    paths,
  };
}
