/**
 * /account: every signed-in actor's own page (the built-in internal client `account`):
 * change the password, see and end sessions, see and withdraw consent given to apps, see
 * second factors and recent activity. Server-rendered; every form carries a CSRF token
 * bound to the session.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ACCOUNT_CLIENT_ID } from '../clients/service.js';
import type { Masks } from '../context.js';
import { sessionView, iso } from '../manage/views.js';
import { pageBasics } from '../pages/plugin.js';
import { renderMessage, renderPage } from '../pages/render.js';
import { admit, signedIn, type Signed } from '../pages/signed_in.js';
import { constantTimeEqual } from '../security/secrets.js';
import { totpSetup } from '../factors/totp_setup.js';
import { addPasskey, passkeyOptions } from './passkeys.js';
import { confirmPhone, textPhoneCode } from './phones.js';
import { browserOf } from '../pages/cookies.js';
import { addTotp, changePassword, endOwnSession, isFresh, removeFactor, renewBackupCodes, withdrawConsent } from './service.js';

type Form = Record<string, string | string[] | undefined>;
const text = (form: Form, name: string) => (typeof form[name] === 'string' ? (form[name] as string) : '');
const csrfFor = (masks: Masks, sid: string) => masks.keyed.hash(sid, 'account-csrf');

/** The person behind the request with a session, or the reply already sent. */
async function guard(masks: Masks, request: FastifyRequest, reply: FastifyReply): Promise<(Signed & { sid: string }) | undefined> {
  const client = await masks.store.clients.find(ACCOUNT_CLIENT_ID);
  const signed = await signedIn(masks, request);
  const admission = client ? await admit(masks, request, client, signed) : undefined;
  if (!admission || admission.status !== 'ok' || !admission.signed.sid) {
    if (request.method === 'GET' && admission?.status !== 'deny') void reply.redirect(`/authorize/${ACCOUNT_CLIENT_ID}?rd=/account`);
    else void renderMessage(masks, reply, 'Signed out', 'Your session ended. Open /account and sign in again.', 401);
    return undefined;
  }
  const sid = admission.signed.sid;
  if (request.method === 'POST') {
    const sent = text((request.body ?? {}) as Form, 'csrf');
    if (!constantTimeEqual(sent, csrfFor(masks, sid))) {
      void renderMessage(masks, reply, 'Form expired', 'This form is out of date. Go back, reload the page and try again.', 403);
      return undefined;
    }
  }
  return { ...admission.signed, sid };
}

async function accountPage(masks: Masks, reply: FastifyReply, signed: Signed & { sid: string }, extra: { notice?: string; problem?: string } = {}, status = 200) {
  const { actor } = signed;
  const [sessions, consents, factors, backupCodesLeft, events] = await Promise.all([
    masks.store.signIns.sessionsOf(actor.id, masks.clock()),
    masks.store.signIns.consentsOf(actor.id),
    masks.store.factors.authenticators(actor.id),
    masks.store.factors.backupCodesLeft(actor.id),
    masks.store.events.list({ actorId: actor.id, limit: 20 }),
  ]);
  const named = await Promise.all(consents.map(async (c) => ({ ...c, name: (await masks.store.clients.find(c.clientId))?.name ?? c.clientId })));
  return renderPage(
    masks,
    reply,
    'account/index',
    {
      title: 'Your account',
      wide: true,
      who: actor.nickname ?? actor.emails[0]?.address ?? actor.id,
      csrf: csrfFor(masks, signed.sid),
      hasPassword: actor.passwordHash !== null,
      sessions: sessions.map((s) => ({ ...sessionView(s), current: s.id === signed.sid })),
      consents: named,
      webauthn: masks.config.webauthn.enabled,
      phones: masks.config.phones.enabled,
      factors: factors.map((f) => ({ id: f.id, name: f.name, kind: f.kind, created_at: iso(f.createdAt) })),
      backupCodesLeft,
      // Their own actions with the address they came from; a manager's only as done by a manager.
      events: events.map((e) => ({ at: iso(e.at), type: e.type, ip: e.by === `actor:${actor.id}` || e.by === 'masks' ? e.ip : 'by a manager' })),
      ...extra,
    },
    status,
  );
}

/** What a TOTP setup at /account is bound to: this session. */
const setupBinding = (sid: string) => `account ${sid}`;

function totpPage(masks: Masks, reply: FastifyReply, signed: Signed & { sid: string }, sealed?: string, problem?: string) {
  const setup = totpSetup(masks, setupBinding(signed.sid), signed.actor, sealed);
  return renderPage(
    masks,
    reply,
    'account/totp',
    { title: 'Add an authenticator app', csrf: csrfFor(masks, signed.sid), qr: `data:image/svg+xml;base64,${Buffer.from(setup.qr).toString('base64')}`, uri: setup.uri, secret: setup.secret, setup: setup.sealed, problem },
    problem ? 422 : 200,
  );
}

/** Changing factors needs a recent sign-in: otherwise a page that asks for one (and comes back to `next`). */
async function ensureFresh(masks: Masks, reply: FastifyReply, signed: Signed & { sid: string }, next: string): Promise<boolean> {
  if (await isFresh(masks, signed.actor.id, signed.sid)) return true;
  void renderPage(masks, reply, 'account/confirm', { title: 'Confirm it is you', next }, 403);
  return false;
}

const showCodes = (masks: Masks, reply: FastifyReply, codes: string[]) => renderPage(masks, reply, 'backup_codes', { title: 'Save your backup codes', codes, next: '/account' });

export function accountPages(app: FastifyInstance, masks: Masks) {
  app.register(async (pages) => {
    await pageBasics(pages, masks);

    pages.get('/account', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      return signed && accountPage(masks, reply, signed);
    });

    pages.post('/account/password', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      // With no password to check, a first password is a new credential: like a factor change, it needs a recent sign-in.
      if (signed.actor.passwordHash === null && !(await ensureFresh(masks, reply, signed, '/account'))) return reply;
      const form = request.body as Form;
      const outcome = await changePassword(masks, signed.actor, request.ip, signed.sid, { current: text(form, 'current'), password: text(form, 'password'), confirm: text(form, 'confirm') });
      if (outcome !== 'changed') return accountPage(masks, reply, signed, { problem: outcome.message }, 422);
      const fresh = await masks.store.actors.find(signed.actor.id);
      return accountPage(masks, reply, { ...signed, actor: fresh ?? signed.actor }, { notice: 'Your password is changed. Your other sessions were ended.' });
    });

    pages.post<{ Params: { id: string } }>('/account/sessions/:id/end', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const ended = await endOwnSession(masks, signed.actor, request.ip, request.params.id);
      return accountPage(masks, reply, signed, ended ? { notice: 'The session was ended.' } : { problem: 'That session is not one of yours, or it has ended already.' }, ended ? 200 : 404);
    });

    pages.get('/account/totp', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account/totp'))) return reply;
      return totpPage(masks, reply, signed);
    });

    pages.post('/account/totp', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account/totp'))) return reply;
      const form = request.body as Form;
      const outcome = await addTotp(masks, signed.actor, request.ip, setupBinding(signed.sid), { setup: text(form, 'setup'), code: text(form, 'code'), name: text(form, 'name') });
      if ('problem' in outcome) return totpPage(masks, reply, signed, text(form, 'setup') || undefined, outcome.problem);
      if (outcome.codes) return showCodes(masks, reply, outcome.codes);
      return accountPage(masks, reply, signed, { notice: 'Your authenticator app is set up.' });
    });

    const phonePage = (reply: FastifyReply, signed: Signed & { sid: string }, data: { ceremony?: string; sentTo?: string | undefined; problem?: string; typed?: string }, status = 200) =>
      renderPage(masks, reply, 'account/phone', { title: 'Add a phone', csrf: csrfFor(masks, signed.sid), ...data }, status);

    pages.get('/account/phone', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account/phone'))) return reply;
      return phonePage(reply, signed, {});
    });

    pages.post('/account/phone', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account/phone'))) return reply;
      const typed = text(request.body as Form, 'phone');
      const sent = await textPhoneCode(masks, browserOf(masks, request), signed.actor, typed);
      return 'problem' in sent ? phonePage(reply, signed, { problem: sent.problem, typed: typed.slice(0, 40) }, 422) : phonePage(reply, signed, sent);
    });

    pages.post('/account/phone/code', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account/phone'))) return reply;
      const form = request.body as Form;
      const ceremony = text(form, 'ceremony');
      const outcome = await confirmPhone(masks, browserOf(masks, request), signed.actor, ceremony, text(form, 'code'));
      if ('problem' in outcome) return phonePage(reply, signed, { problem: outcome.problem, ...(outcome.sentTo ? { ceremony, sentTo: outcome.sentTo } : {}) }, 422);
      if (outcome.codes) return showCodes(masks, reply, outcome.codes);
      return accountPage(masks, reply, signed, { notice: 'Your phone is added.' });
    });

    // The options of a passkey ceremony (the page's script asks when "Add a passkey" is pressed): JSON.
    pages.post('/account/passkey/options', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account'))) return reply;
      const options = await passkeyOptions(masks, browserOf(masks, request), signed.actor);
      if (!options) return renderMessage(masks, reply, 'Not available', 'Passkeys are turned off here.', 409);
      return reply.headers({ 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' }).send(JSON.stringify(options));
    });

    pages.post('/account/passkey', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account'))) return reply;
      const form = request.body as Form;
      const outcome = await addPasskey(masks, browserOf(masks, request), signed.actor, text(form, 'credential'), text(form, 'name'));
      if ('problem' in outcome) return accountPage(masks, reply, signed, { problem: outcome.problem }, 422);
      if (outcome.codes) return showCodes(masks, reply, outcome.codes);
      return accountPage(masks, reply, signed, { notice: 'Your passkey is added.' });
    });

    pages.post<{ Params: { id: string } }>('/account/factors/:id/remove', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account'))) return reply;
      const removed = await removeFactor(masks, signed.actor, request.ip, request.params.id);
      return accountPage(masks, reply, signed, removed ? { notice: 'Removed.' } : { problem: 'That is not one of your second factors.' }, removed ? 200 : 404);
    });

    pages.post('/account/backup-codes', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed || !(await ensureFresh(masks, reply, signed, '/account'))) return reply;
      const codes = await renewBackupCodes(masks, signed.actor, request.ip);
      return codes ? showCodes(masks, reply, codes) : accountPage(masks, reply, signed, { problem: 'Backup codes come with a second factor: set one up first.' }, 409);
    });

    pages.post<{ Params: { id: string } }>('/account/consents/:id/withdraw', async (request, reply) => {
      const signed = await guard(masks, request, reply);
      if (!signed) return reply;
      const withdrawn = await withdrawConsent(masks, signed.actor, request.ip, request.params.id);
      return accountPage(masks, reply, signed, withdrawn ? { notice: 'Withdrawn: the app will ask again next time.' } : { problem: 'You had not allowed that app anything.' }, withdrawn ? 200 : 404);
    });
  });
}
