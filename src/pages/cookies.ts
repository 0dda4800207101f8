/**
 * masks' cookies. All HttpOnly and SameSite=Lax; Secure, and `__Host-` where host-only,
 * when masks runs on https. The device cookie is signed; session and internal cookies are
 * random references whose SHA-256 the server keeps.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { Masks } from '../context.js';
import type { Browser, SetCookie } from '../signin/core.js';

export interface CookieNames {
  device: string;
  session: string;
  internal: string;
}

const secure = (masks: Masks) => masks.config.url.startsWith('https:');

/** On https every host-only cookie takes the `__Host-` prefix (the internal one too when cookie_domain is blank). */
export function cookieNames(masks: Masks): CookieNames {
  const host = secure(masks) ? '__Host-' : '';
  return { device: `${host}masks_device`, session: `${host}masks_session`, internal: `${masks.config.cookie_domain ? '' : host}masks_internal` };
}

/** Options for a host-only cookie; `maxAge` in seconds, undefined for a browser-session cookie. */
export function hostCookie(masks: Masks, maxAge: number | undefined): CookieSerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure: secure(masks), ...(maxAge !== undefined ? { maxAge } : {}) };
}

/** Options for the internal-client cookie: on cookie_domain when set (apps on that domain see it). */
export function internalCookie(masks: Masks, maxAge: number | undefined): CookieSerializeOptions {
  const domain = masks.config.cookie_domain;
  return { ...hostCookie(masks, maxAge), ...(domain ? { domain } : {}) };
}

/**
 * The value of a cookie that must appear once: two cookies of one name (one planted from a
 * sibling subdomain, say) are treated as none.
 */
export function singleCookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  let found: string | undefined;
  let count = 0;
  for (const part of header.split(';')) {
    const equals = part.indexOf('=');
    if (equals === -1 || part.slice(0, equals).trim() !== name) continue;
    count++;
    found = part.slice(equals + 1).trim();
  }
  return count === 1 ? found : undefined;
}

/** The device id from the signed device cookie, if its signature holds. */
export function deviceIdFromCookie(masks: Masks, request: FastifyRequest): string | undefined {
  const value = singleCookie(request, cookieNames(masks).device);
  if (!value) return undefined;
  const dot = value.lastIndexOf('.');
  if (dot < 1) return undefined;
  const id = value.slice(0, dot);
  return masks.keyed.verify(id, value.slice(dot + 1), 'device') ? id : undefined;
}


/** What the sign-in core needs to know of the browser behind a request. */
export function browserOf(masks: Masks, request: FastifyRequest): Browser {
  return {
    deviceId: deviceIdFromCookie(masks, request),
    sessionCookie: singleCookie(request, cookieNames(masks).session),
    userAgent: request.headers['user-agent'] ?? '',
    ip: request.ip,
  };
}

/** Set the cookies a sign-in step asks for, each with its name and attributes. */
export function setCookies(masks: Masks, reply: FastifyReply, cookies: SetCookie[]): void {
  const names = cookieNames(masks);
  for (const { cookie, value, maxAge } of cookies) {
    if (cookie === 'device') reply.setCookie(names.device, `${value}.${masks.keyed.hash(value, 'device')}`, hostCookie(masks, maxAge));
    else if (cookie === 'session') reply.setCookie(names.session, value, hostCookie(masks, maxAge));
    else reply.setCookie(names.internal, value, internalCookie(masks, maxAge));
  }
}
