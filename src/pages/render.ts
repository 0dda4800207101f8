/** Server-rendered pages: eta templates in templates/, HTML-escaped by default. */
import path from 'node:path';
import { Eta } from 'eta';
import type { FastifyReply } from 'fastify';
import type { Masks } from '../context.js';
import type { Client } from '../model.js';
import { logoOrigin } from '../clients/service.js';
import { PACKAGE_ROOT } from '../paths.js';

const eta = new Eta({ views: path.join(PACKAGE_ROOT, 'templates'), autoEscape: true, cache: true, useWith: false });

/** Headers of every page: no framing, no referrer, no third-party anything, never cached. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  pragma: 'no-cache',
  // Scripts: only masks' own (the passkey ceremonies), and its fetches only to masks.
  'content-security-policy': "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

const CSS_COLOUR = /^(#[0-9a-fA-F]{3,8}|[a-zA-Z]{3,20}|(rgb|hsl)a?\([0-9., %]+\))$/;

/** Background colours: the client's, else the theme's; anything not plainly a colour is dropped. */
export function theme(masks: Masks, client?: Client): { light: string; dark: string } {
  const pick = (value: string | undefined) => (value && CSS_COLOUR.test(value) ? value : '');
  return {
    light: pick(client?.settings.bg_light) || pick(masks.config.theme.bg_light),
    dark: pick(client?.settings.bg_dark) || pick(masks.config.theme.bg_dark),
  };
}

export interface PageData {
  title: string;
  client?: Client | undefined;
  [key: string]: unknown;
}

export function renderPage(masks: Masks, reply: FastifyReply, template: string, data: PageData, status = 200): FastifyReply {
  // A client's logo is the one image from elsewhere a page may load: its origin joins img-src.
  const logo = data.client?.settings.logo_uri ?? '';
  const origin = logo ? logoOrigin(logo) : undefined;
  const html = eta.render(template, { ...data, name: masks.config.name, theme: theme(masks, data.client), clientName: data.client?.name, logo: origin ? logo : undefined });
  const headers = origin ? { ...PAGE_HEADERS, 'content-security-policy': PAGE_HEADERS['content-security-policy'].replace("img-src 'self' data:", `img-src 'self' data: ${origin}`) } : PAGE_HEADERS;
  return reply.code(status).headers(headers).send(html);
}

/** A page that says what went wrong and what to do. */
export function renderMessage(masks: Masks, reply: FastifyReply, title: string, detail: string, status = 400, client?: Client): FastifyReply {
  return renderPage(masks, reply, 'message', { title, detail, client }, status);
}
