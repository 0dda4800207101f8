/**
 * The checks pipeline, declared once: the installation's `checks` order, filtered by what
 * the client demands (plus client-consent under prompt=consent), with the policy checks
 * where `credentials` stands; it stops at the first check that does not pass. All three
 * client types run it; only what the sign-in core does afterwards differs.
 */
import type { CheckName } from '../config/schema.js';
import type { Check, CheckContext, ConfiguredCheck, Outcome } from './check.js';
import { deny } from './check.js';
import { clientConsentCheck } from './client_consent.js';
import { credentialsCheck } from './credentials.js';
import { deviceCheck } from './device.js';
import { POLICY_CHECKS } from './policy.js';
import { onboardedCheck } from './onboarded.js';
import { verifiedEmailCheck } from './verified_email.js';
import { secondFactorCheck } from './second_factor.js';

/** Every configurable check, by name: the record is complete, so a check named in the config cannot lack an implementation. */
export const CHECKS: Record<CheckName, ConfiguredCheck> = {
  device: deviceCheck,
  credentials: credentialsCheck,
  'second-factor': secondFactorCheck,
  'client-consent': clientConsentCheck,
  onboarded: onboardedCheck,
  'verified-email': verifiedEmailCheck,
};

export type PipelineResult = Outcome & { check?: string };

/**
 * The checks a sign-in runs: the client's, plus client-consent when the request says
 * prompt=consent (OIDC Core 3.1.2.1: the person is asked even where the client would not),
 * plus second-factor when it asks for acr `mfa` (step-up: only the missing checks run).
 */
export function demandedChecks(context: Pick<CheckContext, 'client' | 'attempt'>): Set<CheckName> {
  const demanded = new Set(context.client.settings.checks);
  const { request } = context.attempt;
  if (request.prompt.includes('consent')) demanded.add('client-consent');
  if (request.acr === 'mfa' || request.acr === 'phr') demanded.add('second-factor');
  return demanded;
}

/** The checks of this sign-in in the order they run; a demanded check masks lacks is undefined. */
function plan(context: CheckContext): Array<[string, Check | undefined]> {
  const demanded = demandedChecks(context);
  const steps: Array<[string, Check | undefined]> = [];
  const policy = POLICY_CHECKS.map((check): [string, Check] => [check.name, check]);
  for (const name of context.masks.config.checks) {
    if (demanded.has(name)) steps.push([name, CHECKS[name]]);
    if (name === 'credentials') steps.push(...policy.splice(0));
  }
  // A check the client demands that the installation's order leaves out cannot run: never skip it silently.
  const missing = [...demanded].filter((name) => !context.masks.config.checks.includes(name)).map((name): [string, undefined] => [name, undefined]);
  return [...steps, ...policy, ...missing]; // an installation order without credentials still runs the policy checks, last
}

/**
 * Run the checks in order; stops at the first that does not pass. `onPass` sees each pass
 * and returns the context the next check runs with (the actor, once a check names them).
 */
export async function runChecks(context: CheckContext, onPass: (outcome: Extract<Outcome, { kind: 'pass' }>) => CheckContext | Promise<CheckContext>): Promise<PipelineResult> {
  let current = context;
  for (const [name, check] of plan(context)) {
    if (!check) return { ...deny('check-unavailable', { names: [name] }), check: name };
    const outcome = await check.evaluate(current);
    if (outcome.kind !== 'pass') return { ...outcome, check: name };
    current = await onPass(outcome);
  }
  return { kind: 'pass' };
}
