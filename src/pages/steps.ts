/**
 * Turning the sign-in core's steps into replies: a prompt's page, a redirect, or a deny
 * page with the words for its reason (the core has none).
 */
import type { FastifyReply } from 'fastify';
import type { DenyReason } from '../checks/check.js';
import type { Masks } from '../context.js';
import type { Step } from '../signin/core.js';
import type { Client } from '../model.js';
import { audit } from '../audit/events.js';
import { setCookies } from './cookies.js';
import { PROMPT_PAGES } from './prompts/index.js';
import { renderMessage, renderPage } from './render.js';

/** Title and detail of a deny page. */
const DENIALS: Record<DenyReason, (names: string[], client: Client) => [string, string]> = {
  'device-blocked': () => ['This device is blocked', 'Sign-ins from this device have been blocked by an administrator. Contact them if you think this is a mistake.'],
  'check-unavailable': (names) => ['Sign-in is not available', `This application requires the "${names.join(', ')}" check, which this installation cannot run yet. Tell its administrator.`],
  'no-second-factor': () => ['Sign-in is not available', 'This application requires a second step after your password, and this installation offers none you can set up. Tell its administrator.'],
  'no-passkey': (_names, client) => ['Passkey needed', `${client.name} asks you to sign in with a passkey or security key, and your account has none. Add one, then try again.`],
  'no-email': (_names, client) => ['Email address needed', `${client.name} asks for a verified email address, and your account has none. Ask an administrator to add one.`],
  'no-credentials': () => ['Sign-in is not available', 'This application does not ask for credentials, so masks cannot tell who you are. Tell its administrator.'],
  'scopes-missing': (names, client) => ['Access denied', `Your account lacks what ${client.name} requires: ${names.join(', ')}. Ask an administrator for access.`],
  'actor-disabled': () => ['Account disabled', 'This account is disabled. Ask the people who run this site to enable it again.'],
  'hint-mismatch': () => ['Access denied', 'This sign-in was meant for someone else. Go back to the application and start again.'],
  refused: (names) => ['Access denied', `The application's request was refused (${names.join(', ')}). Go back to the application and try again.`],
};

const backupCodesLeft = (left: number) =>
  left === 0
    ? 'That was your last backup code. Set up new ones from your account page.'
    : `You have ${left} backup code${left === 1 ? '' : 's'} left.${left <= 3 ? ' Make new ones from your account page soon.' : ''}`;

/** Wrong answers to a factor's prompt, for the audit trail (the credentials prompt records its own, naming the account). */
const FAILED_ANSWERS: ReadonlySet<string> = new Set(['code-mismatch', 'passkey-failed', 'too-many-attempts']);

/** The reply for a step (a redirect answering a POST becomes a 303 in the pages' onSend hook). */
export function replyWith(masks: Masks, reply: FastifyReply, step: Step): FastifyReply {
  setCookies(masks, reply, step.cookies);
  if (step.kind === 'prompt' && step.prompt !== 'credentials' && step.problem && FAILED_ANSWERS.has(step.problem.reason)) {
    const actorId = step.actor?.id ?? step.attempt.actorId;
    audit(masks, 'sign-in.failed', { by: 'masks', ip: reply.request.ip }, { actorId, clientId: step.client.id }, { reason: step.problem.reason, prompt: step.prompt });
  }
  switch (step.kind) {
    case 'prompt':
      return PROMPT_PAGES[step.prompt].render(masks, reply, step);
    case 'go':
      return reply.redirect(step.location);
    case 'notice':
      if (step.notice.about === 'backup-codes') return renderPage(masks, reply, 'backup_codes', { title: 'Save your backup codes', client: step.client, codes: step.notice.codes, next: step.next });
      return renderPage(masks, reply, 'notice', { title: 'Backup code used', client: step.client, next: step.next, detail: backupCodesLeft(step.notice.left) });
    case 'deny': {
      const [title, detail] = DENIALS[step.reason](step.names, step.client);
      return renderMessage(masks, reply, title, detail, 403, step.client);
    }
  }
}
