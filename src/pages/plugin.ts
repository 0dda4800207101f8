/** What every group of pages needs (sign-in, /manage, /account): set up once, here. */
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { Masks } from '../context.js';
import { BODY_LIMIT } from '../limits.js';
import { parseForm } from '../oauth/form.js';
import { pageErrorHandler } from './errors.js';

/** Cookies, strict form bodies only, errors as pages (`errors`, else the sign-in pages' handler), and 303 after a form POST. */
export async function pageBasics(pages: FastifyInstance, masks: Masks, errors: Parameters<FastifyInstance['setErrorHandler']>[0] = pageErrorHandler(masks)): Promise<void> {
  // Cookies are read and set on pages only; the JSON endpoints skip the parsing hook.
  await pages.register(cookie);
  pages.removeAllContentTypeParsers();
  await pages.register(formbody, { bodyLimit: BODY_LIMIT, parser: parseForm });
  pages.setErrorHandler(errors);
  // A redirect answering a form POST is a 303 (RFC 9700 4.12): the browser must not re-POST the form to where it goes.
  pages.addHook('onSend', async (request, reply) => {
    if (request.method === 'POST' && reply.statusCode === 302) reply.code(303);
  });
}
