/**
 * What a check is: a name and evaluate(context) giving pass, a prompt the person can
 * answer, or a deny. Outcomes carry reason codes only; the words live with the pages.
 */
import type { CheckName } from '../config/schema.js';
import type { Masks } from '../context.js';
import type { OAuthErrorCode } from '../oauth/errors.js';
import type { Actor } from '../model.js';
import type { Client } from '../model.js';
import type { Attempt } from '../model.js';
import type { Device, Session } from '../model.js';
import type { SecondFactorKind } from '../signin/factors.js';

export type { Attempt };

export interface CheckContext {
  masks: Masks;
  client: Client;
  attempt: Attempt;
  /** The device's record; none until someone has signed in on it. */
  device: Device | undefined;
  /** The browser's live session with masks, if any. */
  session: Session | undefined;
  /** The actor signing in, once a check has named them. */
  actor: Actor | undefined;
  now: number;
}

/** The prompts a person can answer; each is a page under /sign-in/:attempt/:prompt. */
export const PROMPT_NAMES = ['credentials', 'login-code', 'new-password', 'second-factor', 'second-factor-setup', 'consent', 'onboarding', 'verify-email'] as const;
export type PromptName = (typeof PROMPT_NAMES)[number];

/** Why a sign-in cannot go on ('refused': an OAuth error for a client that cannot take one, named in `names`). */
export type DenyReason = 'device-blocked' | 'check-unavailable' | 'no-second-factor' | 'no-passkey' | 'no-email' | 'no-credentials' | 'scopes-missing' | 'hint-mismatch' | 'actor-disabled' | 'refused';

export type Outcome =
  /** Passed; a check that establishes who signs in names the actor and when they proved it. */
  | { kind: 'pass'; actorId?: string; authTime?: number; amr?: string[] }
  /** The person must answer `prompt` (with one of `offer`, for a second factor); under prompt=none the client gets `oauthError` instead. */
  | { kind: 'prompt'; prompt: PromptName; oauthError: 'login_required' | 'consent_required' | 'interaction_required'; offer?: SecondFactorKind[] }
  /**
   * The sign-in cannot go on: a page, or (with `oauthError`) an error for the client at its
   * verified redirect_uri. `names` are what the page may list (missing scopes, a check).
   */
  | { kind: 'deny'; reason: DenyReason; oauthError?: OAuthErrorCode; names?: string[] };

export interface Check {
  name: string;
  evaluate(context: CheckContext): Outcome | Promise<Outcome>;
}

/** A check the installation's `checks` order places and each client may demand. */
export interface ConfiguredCheck extends Check {
  name: CheckName;
}

export const pass = (extra: Omit<Extract<Outcome, { kind: 'pass' }>, 'kind'> = {}): Outcome => ({ kind: 'pass', ...extra });
export const deny = (reason: DenyReason, extra: { oauthError?: OAuthErrorCode; names?: string[] } = {}): Outcome => ({ kind: 'deny', reason, ...extra });
export const prompt = (name: PromptName, oauthError: Extract<Outcome, { kind: 'prompt' }>['oauthError'], offer?: SecondFactorKind[]): Outcome => ({
  kind: 'prompt',
  prompt: name,
  oauthError,
  ...(offer ? { offer } : {}),
});
