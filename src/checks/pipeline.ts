/**
 * The checks pipeline, declared once: the installation's `checks` order, filtered by what
 * the client demands, stopping at the first check that does not pass. All three client
 * types run it; what happens afterwards differs (finish.ts).
 */
import type { CheckName } from '../config/schema.js';
import type { Check, CheckContext, Outcome } from './check.js';
import { deny } from './check.js';
import { clientConsentCheck } from './client_consent.js';
import { credentialsCheck } from './credentials.js';
import { deviceCheck } from './device.js';

/** Every check masks implements, by name. New checks are new files registered here. */
export const CHECKS: Partial<Record<CheckName, Check>> = {
  device: deviceCheck,
  credentials: credentialsCheck,
  'client-consent': clientConsentCheck,
};

export type PipelineResult = Outcome & { check?: CheckName };

/**
 * The checks a sign-in runs: the client's, plus client-consent when the request says
 * prompt=consent (OIDC Core 3.1.2.1: the person is asked even where the client would not).
 */
export function demandedChecks(context: Pick<CheckContext, 'client' | 'attempt'>): Set<CheckName> {
  const demanded = new Set(context.client.settings.checks);
  if (context.attempt.request.prompt.includes('consent')) demanded.add('client-consent');
  return demanded;
}

/** Run the client's checks in installation order; stops at the first that does not pass. */
export async function runChecks(context: CheckContext, onPass: (outcome: Extract<Outcome, { kind: 'pass' }>) => Promise<CheckContext>): Promise<PipelineResult> {
  const demanded = demandedChecks(context);
  let current = context;
  for (const name of context.masks.config.checks) {
    if (!demanded.has(name)) continue;
    const check = CHECKS[name];
    if (!check) return { ...deny('Sign-in is not available', `This application requires the "${name}" check, which this installation cannot run yet. Tell its administrator.`), check: name };
    const outcome = await check.evaluate(current);
    if (outcome.kind !== 'pass') return { ...outcome, check: name };
    current = await onPass(outcome);
  }
  return { kind: 'pass' };
}
