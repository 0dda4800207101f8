/**
 * Setting up a second factor inside the sign-in: an authenticator app (a QR code and
 * otpauth:// link, then an Authentication code to confirm), or Add a passkey.
 */
import { answerSecondFactorSetup } from '../../signin/second_factor.js';
import { totpSetup } from '../../factors/totp_setup.js';
import { PageError } from '../../errors.js';
import { csrfToken } from '../csrf.js';
import { renderPage } from '../render.js';
import { promptAction, type PromptPage } from './prompt.js';
import { passkeyForm } from './passkey.js';
import { codeProblem } from './second_factor.js';

export const secondFactorSetupPage: PromptPage = {
  render(masks, reply, step) {
    const { attempt, client, deviceId, actor } = step;
    if (!actor) throw new PageError('Sign-in expired', 'Go back to the application and sign in again.');
    // acr_values=phr: only a passkey or security key will do.
    const only = step.offer;
    const setup = masks.config.totp_codes.enabled && !only ? totpSetup(masks, attempt.id, actor, step.setup) : undefined;
    const { error, status } = codeProblem(reply, step.problem);
    // A phone being set up: the code sent to it (step.address is the number as shown).
    const phone = masks.config.phones.enabled && !only ? { sentTo: step.address, typed: step.problem?.reason === 'input' ? step.problem.values.phone : '' } : undefined;
    const action = promptAction(attempt.id, 'second-factor-setup');
    const csrf = csrfToken(masks, deviceId, attempt.id);
    const passkey = masks.config.webauthn.enabled ? passkeyForm(attempt.id, { action, csrf, fields: { method: 'webauthn' }, purpose: 'register', label: 'Add a passkey', secondary: setup !== undefined }) : undefined;
    return renderPage(
      masks,
      reply,
      'second_factor_setup',
      {
        title: setup ? 'Set up an authenticator app' : passkey ? 'Add a passkey' : 'Set up your phone',
        client,
        action,
        csrf,
        passkey,
        phone,
        webauthn: passkey !== undefined,
        totp: setup && {
          setup: setup.sealed,
          uri: setup.uri,
          secret: setup.secret.match(/.{1,4}/g)!.join(' '),
          qr: `data:image/svg+xml;base64,${Buffer.from(setup.qr).toString('base64')}`,
        },
        error,
      },
      status,
    );
  },
  submit(masks, browser, loaded, form) {
    const asked = form.get('method');
    const method = asked === 'webauthn' || asked === 'phone' || asked === 'phone-code' ? asked : 'totp';
    return answerSecondFactorSetup(masks, browser, loaded, { method, setup: form.get('setup') ?? '', code: form.get('code') ?? '', name: form.get('name') ?? '', credential: form.opaque('credential') ?? '', phone: form.get('phone') ?? '' });
  },
};
