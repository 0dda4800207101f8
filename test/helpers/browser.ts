/**
 * A minimal cookie-keeping "browser" over app.inject (or fetch against a listening
 * server), for whole sign-in flows without a real browser: it does what a person would
 * (open a link, fill a form, press a button).
 */
import type { FastifyInstance } from 'fastify';

/** The parts of a response the flows look at. */
export interface Page {
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  cookies: Array<{ name: string; value: string; maxAge?: number; expires?: Date; domain?: string; httpOnly?: boolean; sameSite?: string }>;
  json(): any;
}

type Transport = (method: 'GET' | 'POST', url: string, headers: Record<string, string>, body?: string) => Promise<Page>;

const injectTransport = (app: FastifyInstance): Transport => (method, url, headers, body) =>
  app.inject({ method, url: local(url), headers, ...(body !== undefined ? { payload: body } : {}) }) as unknown as Promise<Page>;

/** Requests to listening servers (absolute URLs). */
export const fetchTransport = (): Transport => async (method, url, headers, body) => {
  const response = await fetch(url, { method, headers, body: body ?? null, redirect: 'manual' });
  const text = await response.text();
  const cookies = response.headers.getSetCookie().map((line) => {
    const [pair, ...attributes] = line.split(';');
    const equals = pair!.indexOf('=');
    const attribute = (name: string) => attributes.map((a) => new RegExp(`^\\s*${name}=(.+)$`, 'i').exec(a)?.[1]).find(Boolean);
    const maxAge = attribute('max-age');
    const expires = attribute('expires');
    return {
      name: pair!.slice(0, equals).trim(),
      value: pair!.slice(equals + 1).trim(),
      ...(maxAge !== undefined ? { maxAge: Number(maxAge) } : {}),
      ...(expires !== undefined ? { expires: new Date(expires) } : {}),
    };
  });
  const plain: Record<string, string> = {};
  response.headers.forEach((value, key) => (plain[key] = value));
  return { statusCode: response.status, headers: plain, body: text, cookies, json: () => JSON.parse(text) };
};

export interface Form {
  action: string;
  fields: Record<string, string>;
}

export class InjectBrowser {
  readonly cookies = new Map<string, string>();
  private readonly transport: Transport;
  /** The address of the last request: relative links and form actions resolve against it. */
  private location = 'http://localhost:5000/';

  /** Over app.inject, or over any transport (fetchTransport for a listening server). */
  constructor(
    app: FastifyInstance | Transport,
    readonly userAgent = 'test-browser/1.0',
  ) {
    this.transport = typeof app === 'function' ? app : injectTransport(app);
  }

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private remember(response: Page) {
    for (const cookie of response.cookies) {
      const expired = cookie.maxAge === 0 || (cookie.expires !== undefined && cookie.expires.getTime() <= Date.now()) || cookie.value === '';
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
  }

  private resolve(url: string): string {
    this.location = new URL(url, this.location).href;
    return this.location;
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<Page> {
    const response = await this.transport('GET', this.resolve(url), { cookie: this.cookieHeader(), 'user-agent': this.userAgent, ...headers });
    this.remember(response);
    return response;
  }

  async post(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Page> {
    const form = { cookie: this.cookieHeader(), 'user-agent': this.userAgent, 'content-type': 'application/x-www-form-urlencoded', ...headers };
    const response = await this.transport('POST', this.resolve(url), form, new URLSearchParams(fields).toString());
    this.remember(response);
    return response;
  }

  /** Submit the page's form with these fields (hidden fields kept), pressing `button` if given. */
  async submit(page: Page, fields: Record<string, string>, button?: { name: string; value: string }) {
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
export function redirectQuery(response: Page): URLSearchParams {
  const location = response.headers.location;
  if (typeof location !== 'string') throw new Error(`not a redirect (${response.statusCode}): ${response.body.slice(0, 500)}`);
  return new URL(location, 'http://masks.invalid').searchParams;
}
