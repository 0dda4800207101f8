/** The credentials prompt: an input labelled Email or nickname (or one of them), and Password. */
import { answerCredentials } from '../../signin/core.js';
import { loginLinksOffered, requestLoginLink } from '../../signin/login_links.js';
import type { Masks } from '../../context.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { answerWithPasskey } from '../../signin/webauthn.js';
import { passkeyForm } from './passkey.js';
import { promptAction, type PromptPage } from './prompt.js';

function identifierLabel(masks: Masks): string {
  const { emails, nicknames } = masks.config;
  if (emails.enabled && !nicknames.enabled) return 'Email';
  if (nicknames.enabled && !emails.enabled) return 'Nickname';
  return 'Email or nickname';
}

export const credentialsPage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId, problem } = step;
    if (problem?.reason === 'too-many-attempts') reply.header('retry-after', String(problem.retryAfter));
    const error =
      problem?.reason === 'too-many-attempts'
        ? `Too many attempts. Wait ${problem.retryAfter} seconds and try again.`
        : problem?.reason === 'links-unavailable'
          ? 'Sign-in links are not available here. Use your password.'
          : problem?.reason === 'passkey-failed'
            ? 'That passkey is not known here, or did not work. Try again, or sign in another way.'
          : problem
            ? 'That email or nickname and password do not match. Try again.'
            : undefined;
    const status = problem?.reason === 'too-many-attempts' ? 429 : problem ? 401 : 200;
    const csrf = csrfToken(masks, deviceId, attempt.id);
    const action = promptAction(attempt.id, 'credentials');
    const passkey = masks.config.passkeys.enabled ? passkeyForm(attempt.id, { action, csrf, fields: { via: 'passkey' }, purpose: 'passwordless', label: 'Use a passkey', secondary: true }) : undefined;
    // Prefill only what this browser typed or the client hinted, never the name of an actor bound by a session.
    const identifier = step.identifier ?? (attempt.actorId ? '' : (attempt.request.loginHint ?? ''));
    return renderPage(
      masks,
      reply,
      'sign_in',
      { title: `Sign in to ${client.name}`, client, action, csrf, passkey, webauthn: passkey !== undefined, identifier, identifierLabel: identifierLabel(masks), error, links: loginLinksOffered(masks, client), reset: loginLinksOffered(masks, client) && client.settings.allow_passwords },
      status,
    );
  },
  submit(masks, browser, loaded, form) {
    const via = form.get('via');
    if (via === 'passkey') return answerWithPasskey(masks, browser, loaded, form.opaque('credential') ?? '', (problem) => ({ kind: 'prompt', prompt: 'credentials', attempt: loaded.attempt, client: loaded.client, deviceId: loaded.deviceId, cookies: [], problem }));
    if (via === 'link' || via === 'reset') return requestLoginLink(masks, browser, loaded, form.get('identifier') ?? '', via === 'reset');
    // The password is only hashed: any length (over max_chars it never matches).
    return answerCredentials(masks, browser, loaded, { identifier: form.get('identifier') ?? '', password: form.opaque('password') ?? '' });
  },
};
