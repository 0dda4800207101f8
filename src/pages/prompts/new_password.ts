/** After "Forgot your password?" and the emailed link or code: New password and Confirm new password. */
import { answerNewPassword } from '../../signin/account_steps.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { promptAction, type PromptPage } from './prompt.js';

export const newPasswordPage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId, problem } = step;
    const error = problem?.reason === 'input' ? problem.message : undefined;
    return renderPage(masks, reply, 'new_password', { title: 'Choose a new password', client, action: promptAction(attempt.id, 'new-password'), csrf: csrfToken(masks, deviceId, attempt.id), minChars: masks.config.passwords.min_chars, error }, error ? 400 : 200);
  },
  submit(masks, browser, loaded, form) {
    return answerNewPassword(masks, browser, loaded, { password: form.opaque('password') ?? '', confirm: form.opaque('confirm') ?? '' });
  },
};
