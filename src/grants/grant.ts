/** A grant type at the token endpoint. */
import type { FastifyRequest } from 'fastify';
import type { Masks } from '../context.js';
import type { Params } from '../oauth/params.js';
import type { Client } from '../model.js';

export interface GrantContext {
  masks: Masks;
  client: Client;
  params: Params;
  request: FastifyRequest;
}

export interface Grant {
  /** The grant_type value (RFC 6749). */
  name: string;
  /** The token response body. */
  handle(context: GrantContext): Promise<object>;
}
