/**
 * client-consent: the actor allows the scopes the client asks for, once; asked again when
 * the client asks for more. Internal clients never ask. prompt=consent always asks.
 */
import { pass, prompt, type ConfiguredCheck } from './check.js';

const ask = prompt('consent', 'consent_required');

export const clientConsentCheck: ConfiguredCheck = {
  name: 'client-consent',
  async evaluate({ masks, client, attempt, actor }) {
    if (client.type === 'internal' || !actor) return pass();
    if (attempt.steps.includes('consent')) return pass();
    if (attempt.request.prompt.includes('consent')) return ask;
    const granted = new Set(await masks.store.signIns.consentedScopes(actor.id, client.id));
    return attempt.request.scope.every((scope) => granted.has(scope)) ? pass() : ask;
  },
};
