/** The second-factor prompt: Authentication code (TOTP), or a link to Use a backup code (Backup code). */
import { PageError } from '../../errors.js';
import { answerSecondFactor } from '../../signin/second_factor.js';
import type { SecondFactorKind } from '../../signin/factors.js';
import { chosenMethod, type Problem } from '../../signin/core.js';
import type { FastifyReply } from 'fastify';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { passkeyForm } from './passkey.js';
import { promptAction, type PromptPage } from './prompt.js';

const METHODS: readonly SecondFactorKind[] = ['totp', 'webauthn', 'sms', 'backup_code'];
export const isSecondFactorMethod = (value: string | undefined): value is SecondFactorKind => (METHODS as readonly string[]).includes(value ?? '');

/** The words and status for a wrong, used or too frequent code (shared by the setup page). */
export function codeProblem(reply: FastifyReply, problem: Problem | undefined): { error?: string; status: number } {
  if (!problem) return { status: 200 };
  if (problem.reason === 'input') return { error: problem.message, status: 400 };
  if (problem.reason === 'too-many-attempts') {
    reply.header('retry-after', String(problem.retryAfter));
    return { error: `Too many attempts. Wait ${problem.retryAfter} seconds and try again.`, status: 429 };
  }
  if (problem.reason === 'passkey-failed') return { error: 'That passkey did not work here. Try again, or use another way.', status: 401 };
  return { error: 'That code is not right, or was used already. Try the newest code.', status: 401 };
}

export const secondFactorPage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId, offer = [], actor } = step;
    const method = chosenMethod(step)!;
    const ways: Array<[SecondFactorKind, string]> = [
      ['totp', 'Use your authenticator app'],
      ['sms', 'Text me a code'],
      ['backup_code', 'Use a backup code'],
    ];
    const others = ways.filter(([kind]) => kind !== method && offer.includes(kind)).map(([kind, label]) => ({ href: `/sign-in/${attempt.id}?with=${kind}`, label }));
    const csrf = csrfToken(masks, deviceId, attempt.id);
    const action = promptAction(attempt.id, 'second-factor');
    const passkey = offer.includes('webauthn') ? passkeyForm(attempt.id, { action, csrf, fields: { method: 'webauthn' }, purpose: 'authenticate', label: 'Use a passkey', secondary: method !== 'webauthn' }) : undefined;
    const { error, status } = codeProblem(reply, step.problem);
    const account = actor?.nickname ?? actor?.emails[0]?.address ?? '';
    return renderPage(masks, reply, 'second_factor', { title: 'Confirm it is you', client, action, csrf, method, others, account, error, passkey, sentTo: step.address, webauthn: passkey !== undefined }, status);
  },
  submit(masks, browser, loaded, form) {
    const method = form.get('method');
    if (!isSecondFactorMethod(method)) throw new PageError('Bad request', 'Enter the code and try again.');
    return answerSecondFactor(masks, browser, loaded, { method, code: form.get('code') ?? '', credential: form.opaque('credential') ?? '', resend: form.get('resend') === '1' });
  },
};
