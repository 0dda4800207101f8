/** What a check is: a name and evaluate(context) giving pass, a prompt, or a deny. */
import type { CheckName } from '../config/schema.js';
import type { Masks } from '../context.js';
import type { AuthorizationRequest } from '../oauth/authorization_request.js';
import type { Actor } from '../storage/actors.js';
import type { Client } from '../storage/clients.js';
import type { DeviceRow, SessionRow } from '../storage/sign_in.js';

/** An attempt as the checks see it. */
export interface Attempt {
  id: string;
  clientId: string;
  deviceId: string;
  actorId: string | null;
  /** For internal clients only returnTo matters. */
  request: AuthorizationRequest;
  /** amr values of the factors passed during this attempt. */
  passed: string[];
  createdAt: number;
  expiresAt: number;
}

export interface CheckContext {
  masks: Masks;
  client: Client;
  attempt: Attempt;
  /** The device's record; none until someone has signed in on it. */
  device: DeviceRow | undefined;
  /** The browser's live session with masks, if any. */
  session: SessionRow | undefined;
  /** The actor signing in, once known. */
  actor: Actor | undefined;
  now: number;
}

/** The prompts a person can answer; each is a page under /sign-in/:attempt. */
export type PromptName = 'sign-in' | 'consent';

export type Outcome =
  | { kind: 'pass'; actorId?: string; amr?: string[]; authTime?: number }
  | { kind: 'prompt'; prompt: PromptName; oauthError: 'login_required' | 'consent_required' | 'interaction_required' }
  | { kind: 'deny'; title: string; detail: string };

export interface Check {
  name: CheckName;
  evaluate(context: CheckContext): Outcome | Promise<Outcome>;
}

export const pass = (extra: Omit<Extract<Outcome, { kind: 'pass' }>, 'kind'> = {}): Outcome => ({ kind: 'pass', ...extra });
export const deny = (title: string, detail: string): Outcome => ({ kind: 'deny', title, detail });
