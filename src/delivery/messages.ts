/** The emails masks sends, in plain text and HTML, from templates/email/ with the installation name. */
import path from 'node:path';
import { Eta } from 'eta';
import type { Masks } from '../context.js';
import { PACKAGE_ROOT } from '../paths.js';
import type { MailMessage } from '../ports.js';

const views = path.join(PACKAGE_ROOT, 'templates', 'email');
const html = new Eta({ views, autoEscape: true, cache: true, useWith: false });
const text = new Eta({ views, autoEscape: false, cache: true, useWith: false, autoTrim: false });

function message(masks: Masks, template: string, to: string, subject: string, secret: string, data: Record<string, unknown>): MailMessage {
  const it = { ...data, name: masks.config.name, subject };
  return { to, subject, text: text.render(`${template}.text.eta`, it), html: html.render(`${template}.html.eta`, it), secret };
}

/** A code that proves an address (the verified-email check). */
export const verificationMessage = (masks: Masks, to: string, code: string, lifetime: number): MailMessage =>
  message(masks, 'verify_email', to, `Your ${masks.config.name} verification code`, code, { code, minutes: Math.max(1, Math.round(lifetime / 60)) });

/** A login link and its code, for one sign-in. */
export const loginLinkMessage = (masks: Masks, to: string, link: string, code: string, lifetime: number, reset = false): MailMessage =>
  message(masks, 'login_link', to, reset ? `Reset your ${masks.config.name} password` : `Sign in to ${masks.config.name}`, `${link} ${code}`, { link, code, reset, minutes: Math.max(1, Math.round(lifetime / 60)) });

/** A manager's link: an invitation to set up an account, or a password reset (works once, in the first browser that opens it). */
export const accountLinkMessage = (masks: Masks, to: string, link: string, invite: boolean, expiresAt: number): MailMessage =>
  message(masks, 'account_link', to, invite ? `You are invited to ${masks.config.name}` : `Reset your ${masks.config.name} password`, link, { link, invite, until: new Date(expiresAt * 1000).toUTCString() });
