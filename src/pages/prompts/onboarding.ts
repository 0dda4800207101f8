/** The onboarding prompt: inputs Name (and Password when the actor has none), button Continue. */
import { answerOnboarding } from '../../signin/account_steps.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { promptAction, type PromptPage } from './prompt.js';

export const onboardingPage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId, actor, problem } = step;
    const input = problem?.reason === 'input' ? problem : undefined;
    return renderPage(
      masks,
      reply,
      'onboarding',
      {
        title: 'Welcome',
        client,
        action: promptAction(attempt.id, 'onboarding'),
        csrf: csrfToken(masks, deviceId, attempt.id),
        fullName: input?.values.name ?? actor?.name ?? '',
        askPassword: actor?.passwordHash === null && client.settings.allow_passwords,
        minChars: masks.config.passwords.min_chars,
        error: input?.message,
      },
      input ? 400 : 200,
    );
  },
  submit(masks, browser, loaded, form) {
    return answerOnboarding(masks, browser, loaded, { name: form.get('name') ?? '', password: form.opaque('password') ?? '' });
  },
};
