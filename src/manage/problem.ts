/**
 * The management API's errors: RFC 9457 problem details (application/problem+json) for
 * every status, 401 and 403 included, and the one place that turns errors into them.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { busyIn, InputError, StaleError } from '../errors.js';

/** A field that broke the schema: its JSON pointer and what is wrong with it. */
export interface FieldProblem {
  field: string;
  message: string;
}

export class Problem extends Error {
  override name = 'Problem';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly extra: { errors?: FieldProblem[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
  }
}

export const notFound = (what: string) => new Problem(404, 'Not found', `${what} does not exist`);
export const forbidden = (detail: string) => new Problem(403, 'Forbidden', detail);
export const conflict = (detail: string) => new Problem(409, 'Conflict', detail);
export const badRequest = (detail: string, errors?: FieldProblem[]) => new Problem(400, 'Bad request', detail, errors ? { errors } : {});

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  const body = { type: 'about:blank', title: problem.title, status: problem.status, detail: problem.detail, ...(problem.extra.errors ? { errors: problem.extra.errors } : {}) };
  return reply
    .code(problem.status)
    .headers({ ...problem.extra.headers, 'content-type': 'application/problem+json; charset=utf-8', 'cache-control': 'no-store' })
    .send(JSON.stringify(body));
}

/** Any error as a problem: ours as they say, the framework's by status, anything else a bare 500. */
export function toProblem(error: unknown): Problem | undefined {
  if (error instanceof Problem) return error;
  if (error instanceof InputError) return new Problem(422, 'Unprocessable content', error.message);
  if (error instanceof StaleError) return new Problem(412, 'Precondition failed', 'The resource was changed since it was read; read it again (its new ETag) and retry.');
  if (busyIn(error)) return new Problem(503, 'Busy', 'masks is busy; try again shortly', { headers: { 'retry-after': '1' } });
  const status = (error as Partial<FastifyError>).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return new Problem(413, 'Content too large', 'The request body is too large.');
    if (status === 415) return new Problem(415, 'Unsupported media type', 'Send application/json (or application/merge-patch+json for PATCH).');
    if (status === 404 || status === 405) return notFound('This endpoint');
    return badRequest('The request is malformed (the body must be JSON).');
  }
  return undefined;
}

export function problemHandler(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(error);
  if (problem) return sendProblem(reply, problem);
  request.log.error({ err: error }, 'unexpected error');
  return sendProblem(reply, new Problem(500, 'Internal server error', 'Something went wrong on our side.'));
}
