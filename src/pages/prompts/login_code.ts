/** The login-code prompt, after "Email me a sign-in link": an input labelled Login code. */
import { answerLoginCode, resendLoginLink } from '../../signin/login_links.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { promptAction, type PromptPage } from './prompt.js';
import { codeProblem } from './second_factor.js';

export const loginCodePage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId } = step;
    const { error, status } = codeProblem(reply, step.problem);
    return renderPage(masks, reply, 'login_code', { title: 'Check your email', client, action: promptAction(attempt.id, 'login-code'), csrf: csrfToken(masks, deviceId, attempt.id), error }, status);
  },
  submit(masks, browser, loaded, form) {
    if (form.get('resend') === '1') return resendLoginLink(masks, browser, loaded);
    return answerLoginCode(masks, browser, loaded, form.get('code') ?? '');
  },
};
