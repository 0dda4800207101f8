/**
 * Setting up a phone at /account: a code texted to the typed number (held by a ceremony,
 * ceremony.ts), typed back within ten minutes; then the number becomes a second factor, the
 * code used up in the same command. Sending is limited like at sign-in.
 */
import type { Masks } from '../context.js';
import type { Actor } from '../model.js';
import type { Browser, Problem } from '../signin/core.js';
import { confirmedPhone, textSetupCode } from '../signin/sms.js';
import { enrolFromCeremony, loadCeremony, startCeremony } from './ceremony.js';

const SETUP_LIFETIME = 600;

const words = (problem: Problem): string =>
  problem.reason === 'input'
    ? problem.message
    : problem.reason === 'too-many-attempts'
      ? `Too many tries. Wait ${Math.ceil(problem.retryAfter / 60)} minutes and try again.`
      : 'That code does not match. Type the code from the text message.';

export async function textPhoneCode(masks: Masks, browser: Browser, actor: Actor, typed: string): Promise<{ ceremony: string; sentTo: string } | { problem: string }> {
  if (!masks.config.phones.enabled) return { problem: 'Phones are turned off here.' };
  const loaded = await startCeremony(masks, browser, actor, SETUP_LIFETIME);
  if (!loaded) return { problem: 'Reload the page and try again.' };
  const sent = await textSetupCode(masks, browser, loaded, actor, typed);
  return 'sentTo' in sent ? { ceremony: loaded.attempt.id, sentTo: sent.sentTo } : { problem: words(sent.problem) };
}

/** The code typed back: the phone is added (the first second factor comes with backup codes, returned once). */
export async function confirmPhone(masks: Masks, browser: Browser, actor: Actor, ceremony: string, code: string): Promise<{ codes: string[] | undefined } | { problem: string; sentTo?: string | undefined }> {
  const loaded = await loadCeremony(masks, browser, actor, ceremony);
  if (!loaded) return { problem: 'This setup expired. Start again.' };
  const confirmed = await confirmedPhone(masks, browser, loaded, actor, code);
  if ('problem' in confirmed) return { problem: words(confirmed.problem), sentTo: confirmed.sentTo };
  return (await enrolFromCeremony(masks, browser, actor, loaded, confirmed.authenticator, confirmed.use)) ?? { problem: 'That code was used already. Start again.' };
}
