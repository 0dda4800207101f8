/**
 * onboarded: at their first sign-in to a client that demands it, the actor gives a name
 * (and a password, if they have none and the client allows passwords); then they are
 * onboarded, once and for all.
 */
import { pass, prompt, type ConfiguredCheck } from './check.js';

export const onboardedCheck: ConfiguredCheck = {
  name: 'onboarded',
  evaluate({ attempt, actor }) {
    if (!actor || actor.onboardedAt !== null || attempt.steps.includes('onboarded')) return pass();
    return prompt('onboarding', 'interaction_required');
  },
};
