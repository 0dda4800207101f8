/** Setting up a second factor inside the sign-in: a QR code and otpauth:// link, then an Authentication code to confirm. */
import { answerSecondFactorSetup, totpSetup } from '../../signin/second_factor.js';
import { PageError } from '../../errors.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { promptAction, type PromptPage } from './prompt.js';
import { codeProblem } from './second_factor.js';

export const secondFactorSetupPage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId, actor } = step;
    if (!actor) throw new PageError('Sign-in expired', 'Go back to the application and sign in again.');
    const setup = totpSetup(masks, attempt.id, actor, step.setup);
    const { error, status } = codeProblem(reply, step.problem);
    return renderPage(
      masks,
      reply,
      'second_factor_setup',
      {
        title: 'Set up an authenticator app',
        client,
        action: promptAction(attempt.id, 'second-factor-setup'),
        csrf: csrfToken(masks, deviceId, attempt.id),
        setup: setup.sealed,
        uri: setup.uri,
        secret: setup.secret.match(/.{1,4}/g)!.join(' '),
        qr: `data:image/svg+xml;base64,${Buffer.from(setup.qr).toString('base64')}`,
        error,
      },
      status,
    );
  },
  submit(masks, browser, loaded, form) {
    return answerSecondFactorSetup(masks, browser, loaded, { setup: form.get('setup') ?? '', code: form.get('code') ?? '', name: form.get('name') ?? '' });
  },
};
