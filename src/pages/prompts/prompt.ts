/** What a prompt page is: how it renders its step, and how it turns its form into an answer for the sign-in core. */
import type { FastifyReply } from 'fastify';
import type { Masks } from '../../context.js';
import type { Browser, Loaded, Step } from '../../signin/core.js';
import type { Params } from '../../oauth/params.js';

export type PromptStep = Extract<Step, { kind: 'prompt' }>;

export interface PromptPage {
  /** The page for this prompt (with the problem of a previous answer, if any). */
  render(masks: Masks, reply: FastifyReply, step: PromptStep): FastifyReply;
  /** The form's fields, read and given to the core; CSRF and loading are done already. */
  submit(masks: Masks, browser: Browser, loaded: Loaded, form: Params): Promise<Step>;
}

/** Where a prompt's form posts. */
export const promptAction = (attemptId: string, prompt: string) => `/sign-in/${attemptId}/${prompt}`;
