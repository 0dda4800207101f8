/** The installation most flow tests use: one client of each type, two people. */
import { InjectBrowser, redirectQuery, type Page } from '../helpers/browser.js';
import { makeMasks, type Teardown, type TestMasks } from '../helpers/app.js';

export const WEB = { id: 'web', secret: 'web-secret-that-is-at-least-32-characters', redirect: 'https://web.example/cb' };
export const OTHER = { id: 'other', secret: 'other-secret-that-is-at-least-32-characters', redirect: 'https://other.example/cb' };
export const SPA = { id: 'spa', redirect: 'http://127.0.0.1/callback' };
export const INTRANET = { id: 'intranet' };
export const ALICE = { nickname: 'alice', email: 'alice@example.com', password: 'alice-password' };
export const BOB = { nickname: 'bob', password: 'bob-password-123' };

export const flowYaml = (extra: Record<string, unknown> = {}) => ({
  manager: { password: 'manager-password' },
  cookie_domain: 'example.com',
  seeds: {
    clients: [
      { id: WEB.id, name: 'Web', client_type: 'confidential', secret: WEB.secret, redirect_uris: [WEB.redirect], post_logout_redirect_uris: ['https://web.example/bye'], checks: ['device', 'credentials', 'client-consent'], scopes: { allowed: ['openid', 'profile', 'email', 'api'] } },
      { id: OTHER.id, name: 'Other', client_type: 'confidential', secret: OTHER.secret, redirect_uris: [OTHER.redirect], scopes: { allowed: ['openid', 'profile'] } },
      { id: SPA.id, name: 'SPA', client_type: 'public', redirect_uris: [SPA.redirect], scopes: { allowed: ['openid', 'profile'] } },
      { id: INTRANET.id, name: 'Intranet', client_type: 'internal', redirect_uris: ['https://wiki.example.com/'], scopes: { required: ['staff'] } },
    ],
    actors: [
      { nickname: ALICE.nickname, email: ALICE.email, password: ALICE.password, scopes: ['staff'] },
      { nickname: BOB.nickname, password: BOB.password },
    ],
  },
  ...extra,
});

export async function flowMasks(t: Teardown, extra: Record<string, unknown> = {}): Promise<TestMasks> {
  return makeMasks(t, { yaml: flowYaml(extra) });
}

export function authorizeUrl(client: { id: string; redirect: string }, params: Record<string, string> = {}): string {
  return `/authorize?${new URLSearchParams({ client_id: client.id, response_type: 'code', redirect_uri: client.redirect, scope: 'openid profile', state: 'state-1', ...params })}`;
}

/** Open an authorization link and follow masks' redirects to the first page or the client. */
export async function open(browser: InjectBrowser, url: string): Promise<Page> {
  let response = await browser.get(url);
  while (response.statusCode >= 300 && response.statusCode < 400) {
    const location = response.headers.location as string;
    if (!location.startsWith('/') && !location.startsWith('http://localhost:5000/')) return response;
    response = await browser.get(location);
  }
  return response;
}

/** Follow a form post's 303 within masks. */
export async function follow(browser: InjectBrowser, response: Page): Promise<Page> {
  let current = response;
  while (current.statusCode >= 300 && current.statusCode < 400) {
    const location = current.headers.location as string;
    if (!location.startsWith('/')) return current;
    current = await browser.get(location);
  }
  return current;
}

/** Sign in on the page (unless single sign-on already answered) and allow consent if asked; returns the redirect to the client. */
export async function signIn(browser: InjectBrowser, page: Page, who: { nickname: string; password: string } = ALICE) {
  if (page.statusCode >= 300 && page.statusCode < 400) return page;
  let response = await follow(browser, await browser.submit(page, { identifier: who.nickname, password: who.password }));
  if (response.statusCode === 200 && response.body.includes('value="allow"')) {
    response = await follow(browser, await browser.submit(response, {}, { name: 'decision', value: 'allow' }));
  }
  return response;
}

/** The code from the redirect to the client (throws with the page when there is none). */
export function codeOf(response: Page): string {
  const code = redirectQuery(response).get('code');
  if (!code) throw new Error(`no code: ${response.headers.location}`);
  return code;
}
