/**
 * A minimal cookie-keeping "browser" over app.inject, for whole sign-in flows without a
 * real browser: follows what a person would do (open a link, fill a form, press a button).
 */
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export interface Form {
  action: string;
  fields: Record<string, string>;
}

export class InjectBrowser {
  readonly cookies = new Map<string, string>();

  constructor(
    private readonly app: FastifyInstance,
    readonly userAgent = 'test-browser/1.0',
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: LightMyRequestResponse) {
    for (const cookie of response.cookies as Array<{ name: string; value: string; maxAge?: number; expires?: Date }>) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now()) || cookie.value === '';
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  async get(url: string, headers: Record<string, string> = {}) {
    const response = await this.app.inject({ method: 'GET', url: local(url), headers: { cookie: this.cookieHeader(), 'user-agent': this.userAgent, ...headers } });
    this.remember(response);
    return response;
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
    const response = await this.app.inject({
      method: 'POST',
      url: local(url),
      headers: { cookie: this.cookieHeader(), 'user-agent': this.userAgent, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(fields).toString(),
    });
    this.remember(response);
    return response;
  }

  /** Submit the page's form with these fields (hidden fields kept), pressing `button` if given. */
  async submit(page: LightMyRequestResponse, fields: Record<string, string>, button?: { name: string; value: string }) {
    const form = formOf(page.body);
    return this.post(form.action, { ...form.fields, ...fields, ...(button ? { [button.name]: button.value } : {}) });
  }
}

/** Paths and absolute URLs on masks become injectable paths. */
function local(url: string): string {
  return url.startsWith('http') ? new URL(url).pathname + new URL(url).search : url;
}

const unescape = (text: string) => text.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

/** The first form of a page: its action and hidden fields. */
export function formOf(html: string): Form {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error(`no form on the page:\n${html}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]*)"[^>]*value="([^"]*)"/g)) fields[input[1]!] = unescape(input[2]!);
  return { action: unescape(form[1]!), fields };
}

/** The <h1> of a page. */
export const headingOf = (html: string) => unescape(/<h1>([\s\S]*?)<\/h1>/.exec(html)?.[1] ?? '');

/** The query of a redirect's Location. */
export function redirectQuery(response: LightMyRequestResponse): URLSearchParams {
  const location = response.headers.location;
  if (typeof location !== 'string') throw new Error(`not a redirect (${response.statusCode}): ${response.body.slice(0, 500)}`);
  return new URL(location, 'http://masks.invalid').searchParams;
}
