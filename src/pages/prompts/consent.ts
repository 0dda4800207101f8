/** The consent prompt: each scope with its description, and the buttons Allow and Deny. */
import { answerConsent } from '../../signin/core.js';
import { PageError } from '../../errors.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { describeScope } from '../scopes.js';
import { promptAction, type PromptPage } from './prompt.js';

export const consentPage: PromptPage = {
  render(masks, reply, { attempt, client, deviceId }) {
    const scopes = attempt.request.scope.map((name) => ({ name, description: describeScope(name) }));
    return renderPage(masks, reply, 'consent', { title: `Allow ${client.name}?`, client, scopes, action: promptAction(attempt.id, 'consent'), csrf: csrfToken(masks, deviceId, attempt.id) });
  },
  submit(masks, browser, loaded, form) {
    const decision = form.get('decision');
    if (decision !== 'allow' && decision !== 'deny') throw new PageError('Bad request', 'Choose Allow or Deny.');
    return answerConsent(masks, browser, loaded, decision);
  },
};
