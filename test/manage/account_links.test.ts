/** A manager's emailed links: an invitation lets a new person set up their account; a reset lets someone choose a new password. Once, in the first browser. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import t from 'tap';
import type { FastifyInstance } from 'fastify';
import { basic, makeMasks, post, type TestMasks } from '../helpers/app.js';
import { headingOf, InjectBrowser } from '../helpers/browser.js';
import { flowYaml, open, signIn } from '../flows/setup.js';

const OPS = { id: 'ops', secret: 'ops-secret-that-is-at-least-32-characters!' };
const yaml = () => {
  const base = flowYaml();
  const seeds = base.seeds as { clients: unknown[] };
  return { ...base, seeds: { ...seeds, clients: [...seeds.clients, { id: OPS.id, client_type: 'confidential', secret: OPS.secret, scopes: { allowed: ['masks:manage'] } }] } };
};

async function caller(app: FastifyInstance) {
  const token = (await post(app, '/token', { grant_type: 'client_credentials', scope: 'masks:manage' }, basic(OPS.id, OPS.secret))).json().access_token as string;
  return (method: 'GET' | 'POST' | 'PATCH', url: string, body?: unknown) =>
    app.inject({ method, url: `/api/manage${url}`, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { payload: JSON.stringify(body) } : {}) });
}

async function lastMail(m: TestMasks, count: number) {
  const dir = path.join(m.config.data, 'outbox');
  const files = () => (existsSync(dir) ? readdirSync(dir).sort() : []);
  for (let i = 0; i < 100 && files().length < count; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  const parsed = await simpleParser(readFileSync(path.join(dir, files()[count - 1]!)));
  return { parsed, link: new URL(/(http:\/\/localhost:5000\/sign-in\/link\/[A-Za-z0-9_-]+)/.exec(parsed.text ?? '')![1]!).pathname };
}

t.test('an invitation: a new person sets a password from the emailed link and lands on /account', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  const call = await caller(m.app);
  const erin = (await call('POST', '/actors', { email: 'erin@example.com', name: 'Erin' })).json();
  t.equal(erin.has_password, false);
  const sent = await call('POST', `/actors/${erin.id}/login-link`, { purpose: 'invite' });
  t.equal(sent.statusCode, 202);
  t.match(sent.json(), { sent_to: 'erin@example.com', expires_at: String });
  t.ok(Date.parse(sent.json().expires_at) - m.clock.now * 1000 >= 7 * 86_400_000 - 1000, 'an invitation lasts a week by default');
  const { parsed, link } = await lastMail(m, 1);
  t.equal(parsed.subject, 'You are invited to masks');
  t.equal(parsed.to && 'text' in parsed.to ? parsed.to.text : '', 'erin@example.com');

  const browser = new InjectBrowser(m.app); // a browser masks has never seen
  const confirm = await browser.get(link);
  t.equal(confirm.statusCode, 200);
  t.ok(browser.cookies.has('masks_device'), 'it gets a device first');
  const followed = await browser.submit(confirm, {});
  t.equal(followed.statusCode, 303);
  const choose = await browser.get(followed.headers.location as string);
  t.match(choose.body, '>New password</label>');
  const done = await browser.submit(choose, { password: 'erins-new-password', confirm: 'erins-new-password' });
  t.equal(done.headers.location, 'http://localhost:5000/account', 'set up, and on her account page');
  t.equal(headingOf((await browser.get('/account')).body), 'Your account');
  t.equal((await call('GET', `/actors/${erin.id}`)).json().has_password, true);
  t.equal((await call('GET', `/actors/${erin.id}`)).json().emails[0].verified_at !== null, true, 'the link proved her address');

  const again = new InjectBrowser(m.app);
  t.equal((await again.get(link)).statusCode, 410, 'the link works once');
  const other = new InjectBrowser(m.app);
  await signIn(other, await open(other, '/account'), { nickname: 'erin@example.com', password: 'erins-new-password' });
  t.equal((await other.get('/account')).statusCode, 200, 'she signs in with her password');
  const types = (await call('GET', `/events?actor=${erin.id}`)).json().events.map((e: { type: string }) => e.type);
  for (const type of ['login-link.sent', 'password.changed', 'sign-in']) t.ok(types.includes(type), type);
});

t.test('a reset: the emailed link is taken by the first browser; expiry, no address, disabled, bad input', async (t) => {
  const m = await makeMasks(t, { yaml: yaml() });
  const call = await caller(m.app);
  const alice = (await call('GET', '/actors?q=alice')).json().actors[0];
  const bob = (await call('GET', '/actors?q=bob')).json().actors[0];
  const sent = await call('POST', `/actors/${alice.id}/login-link`, { expires_in: '1 hour' });
  t.equal(sent.statusCode, 202);
  const { parsed, link } = await lastMail(m, 1);
  t.equal(parsed.subject, 'Reset your masks password');
  const first = new InjectBrowser(m.app);
  const second = new InjectBrowser(m.app);
  const firstPage = await first.get(link);
  const secondPage = await second.get(link);
  t.equal((await first.submit(firstPage, {})).statusCode, 303, 'the first browser takes it');
  t.equal((await second.submit(secondPage, {})).statusCode, 410, 'the second cannot');

  await call('POST', `/actors/${alice.id}/login-link`, { expires_in: '1 hour' });
  const late = await lastMail(m, 2);
  m.clock.advance(3601);
  t.equal((await new InjectBrowser(m.app).get(late.link)).statusCode, 410, 'an expired link');

  const noAddress = await call('POST', `/actors/${bob.id}/login-link`, {});
  t.equal(noAddress.statusCode, 409, 'someone with no email address');
  t.equal((await call('POST', `/actors/${alice.id}/login-link`, { expires_in: '90 days' })).statusCode, 400, 'at most 30 days');
  t.equal((await call('POST', `/actors/${alice.id}/login-link`, { purpose: 'party' })).statusCode, 400);
  t.equal((await call('POST', '/actors/nobody/login-link', {})).statusCode, 404);
  t.equal((await call('PATCH', `/actors/${alice.id}`, { disabled: true })).statusCode, 200);
  t.equal((await call('POST', `/actors/${alice.id}/login-link`, {})).statusCode, 409, 'a disabled actor gets no link');
});
