/** The verified-email prompt: a code sent to the address, typed into Verification code. */
import { answerVerification } from '../../signin/login_links.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { promptAction, type PromptPage } from './prompt.js';
import { codeProblem } from './second_factor.js';

export const verifyEmailPage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId, actor } = step;
    const waiting = !step.problem && step.address === undefined ? ({ reason: 'too-many-attempts', retryAfter: 60 } as const) : step.problem;
    const { error, status } = codeProblem(reply, waiting);
    const address = step.address ?? actor?.emails[0]?.address ?? '';
    return renderPage(masks, reply, 'verify_email', { title: 'Verify your email address', client, address, action: promptAction(attempt.id, 'verify-email'), csrf: csrfToken(masks, deviceId, attempt.id), error }, status);
  },
  submit(masks, browser, loaded, form) {
    return answerVerification(masks, browser, loaded, { code: form.get('code') ?? '', resend: form.get('resend') === '1' });
  },
};
