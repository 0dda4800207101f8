/**
 * client-consent: the actor allows the scopes the client asks for, once; asked again when
 * the client asks for more. Internal clients never ask. prompt=consent always asks.
 */
import { pass, type Check } from './check.js';

export const clientConsentCheck: Check = {
  name: 'client-consent',
  evaluate({ masks, client, attempt, actor }) {
    if (client.type === 'internal' || !actor) return pass();
    if (attempt.passed.includes('consent')) return pass();
    if (attempt.request.prompt.includes('consent')) return { kind: 'prompt', prompt: 'consent', oauthError: 'consent_required' };
    const granted = new Set(masks.signIns.consentedScopes(actor.id, client.id));
    if (attempt.request.scope.every((scope) => granted.has(scope))) return pass();
    return { kind: 'prompt', prompt: 'consent', oauthError: 'consent_required' };
  },
};
