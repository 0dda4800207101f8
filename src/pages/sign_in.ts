/**
 * The sign-in pages of an attempt: GET /sign-in/:attempt shows the prompt the checks ask
 * for now; POST /sign-in/:attempt/:prompt takes its form. Loading the attempt and CSRF are
 * done here, once, for every prompt; the rest is the sign-in core's.
 */
import type { FastifyInstance } from 'fastify';
import { PROMPT_NAMES, type PromptName } from '../checks/check.js';
import type { Masks } from '../context.js';
import { PageError } from '../errors.js';
import { Params } from '../oauth/params.js';
import { load, show, withDevice } from '../signin/core.js';
import { browserOf, setCookies } from './cookies.js';
import { csrfOk, csrfToken } from './csrf.js';
import { renderPage } from './render.js';
import { followLoginLink, loginLinkAttempt } from '../signin/login_links.js';
import { ceremonyOptions } from '../signin/webauthn.js';
import { PROMPT_PAGES } from './prompts/index.js';
import { isSecondFactorMethod } from './prompts/second_factor.js';
import { replyWith } from './steps.js';

const isPrompt = (name: string): name is PromptName => (PROMPT_NAMES as readonly string[]).includes(name);

export function signInRoutes(pages: FastifyInstance, masks: Masks) {
  pages.get<{ Params: { attempt: string }; Querystring: { with?: string } }>('/sign-in/:attempt', async (request, reply) => {
    const browser = browserOf(masks, request);
    const chosen = isSecondFactorMethod(request.query.with) ? request.query.with : undefined;
    return replyWith(masks, reply, await show(masks, browser, await load(masks, browser, request.params.attempt), chosen));
  });

  // A login link: its GET only asks (mail scanners follow links); the POST signs in.
  pages.get<{ Params: { token: string } }>('/sign-in/link/:token', async (request, reply) => {
    // A manager's link may be opened in a browser masks has not seen: it gets a device first.
    const { browser, cookies } = withDevice(masks, browserOf(masks, request));
    const { loaded } = await loginLinkAttempt(masks, browser, request.params.token);
    const { client, deviceId } = loaded;
    setCookies(masks, reply, cookies);
    return renderPage(masks, reply, 'login_link', { title: `Sign in to ${client.name}`, client, action: `/sign-in/link/${request.params.token}`, csrf: csrfToken(masks, deviceId, 'login-link') });
  });

  pages.post<{ Params: { token: string } }>('/sign-in/link/:token', async (request, reply) => {
    const browser = browserOf(masks, request);
    if (!csrfOk(masks, request, browser.deviceId, 'login-link', new Params(request.body).get('csrf'))) {
      throw new PageError('Form expired', 'This form is no longer valid. Open the link from the email again.', 403);
    }
    return replyWith(masks, reply, await followLoginLink(masks, browser, request.params.token));
  });

  // The options of a passkey ceremony (the page's script asks when its button is pressed): JSON.
  pages.post<{ Params: { attempt: string } }>('/sign-in/:attempt/webauthn', async (request, reply) => {
    const browser = browserOf(masks, request);
    const loaded = await load(masks, browser, request.params.attempt);
    const form = new Params(request.body);
    if (!csrfOk(masks, request, loaded.deviceId, loaded.attempt.id, form.get('csrf'))) throw new PageError('Form expired', 'Reload the page and try again.', 403);
    const purpose = form.get('purpose');
    const options = purpose === 'register' || purpose === 'authenticate' || purpose === 'passwordless' ? await ceremonyOptions(masks, browser, loaded, purpose) : undefined;
    if (!options) throw new PageError('Not now', 'This sign-in is not asking for a passkey now. Reload the page.', 409);
    return reply.headers({ 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' }).send(JSON.stringify(options));
  });

  pages.post<{ Params: { attempt: string; prompt: string } }>('/sign-in/:attempt/:prompt', async (request, reply) => {
    const { prompt } = request.params;
    if (!isPrompt(prompt)) throw new PageError('Page not found', 'There is no such sign-in step. Go back to the application and start again.', 404);
    const browser = browserOf(masks, request);
    const loaded = await load(masks, browser, request.params.attempt);
    const form = new Params(request.body);
    if (!csrfOk(masks, request, loaded.deviceId, loaded.attempt.id, form.get('csrf'))) {
      throw new PageError('Form expired', 'This form is no longer valid. Go back to the application and sign in again.', 403);
    }
    return replyWith(masks, reply, await PROMPT_PAGES[prompt].submit(masks, browser, loaded, form));
  });
}
