/**
 * second-factor: after the credentials, the actor confirms with a second factor they set
 * up: a TOTP code, a passkey or security key (WebAuthn), an SMS code, or a backup code; a passkey used
 * to sign in without a password (with user verification) counts already. A pass is
 * remembered on the device for the client's lifetime of that factor
 * (second_factor_*_expires_in), unless the request says prompt=login or a max_age it is
 * older than. acr_values=phr accepts WebAuthn only. An actor with none sets one up inside
 * this sign-in, when the installation offers a kind that can be set up.
 */
import { amrOf, FACTORS, isPhishingResistant, provesSecond, type SecondFactorKind } from '../signin/factors.js';
import type { Masks } from '../context.js';
import { deny, pass, prompt, type ConfiguredCheck } from './check.js';

/** The kinds of second factor the actor can use now, in the order the page offers them. */
export async function secondFactorsOf(masks: Masks, actorId: string): Promise<SecondFactorKind[]> {
  const authenticators = await masks.store.factors.authenticators(actorId);
  const kinds: SecondFactorKind[] = [];
  if (masks.config.totp_codes.enabled && authenticators.some((a) => a.kind === 'totp')) kinds.push('totp');
  if (masks.config.webauthn.enabled && authenticators.some((a) => a.kind === 'webauthn')) kinds.push('webauthn');
  if (masks.config.phones.enabled && authenticators.some((a) => a.kind === 'phone')) kinds.push('sms');
  if ((await masks.store.factors.backupCodesLeft(actorId)) > 0) kinds.push('backup_code');
  return kinds;
}

/** Can an actor with no second factor set one up here? */
const canSetUp = (masks: Masks) => masks.config.totp_codes.enabled || masks.config.webauthn.enabled || masks.config.phones.enabled;

export const secondFactorCheck: ConfiguredCheck = {
  name: 'second-factor',
  async evaluate({ masks, client, attempt, actor, now }) {
    if (!actor) return pass(); // nobody named yet: the policy checks deny a sign-in without credentials
    const { request } = attempt;
    const phishingResistant = request.acr === 'phr';
    const counts = (kind: Parameters<typeof provesSecond>[0]) => provesSecond(kind) && (!phishingResistant || isPhishingResistant(kind));
    const passed = attempt.passed.filter((p) => counts(p.factor));
    if (passed.length > 0) return pass({ actorId: actor.id, amr: amrOf(passed.map((p) => p.factor)), authTime: Math.max(...passed.map((p) => p.at)) });
    const all = await secondFactorsOf(masks, actor.id);
    if (all.length === 0) {
      if (phishingResistant) return masks.config.webauthn.enabled ? prompt('second-factor-setup', 'interaction_required', ['webauthn']) : deny('no-passkey');
      return canSetUp(masks) ? prompt('second-factor-setup', 'interaction_required') : deny('no-second-factor');
    }
    const kinds = all.filter(counts);
    if (kinds.length === 0) return deny('no-passkey');
    // prompt=login asks for every factor afresh; max_age bounds how old a remembered one may be.
    const remembers = !request.prompt.includes('login');
    for (const kind of remembers ? kinds : []) {
      const since = Math.max(now - client.settings[FACTORS[kind].remembered], request.maxAge === undefined ? 0 : now - request.maxAge);
      // A passkey that signed the person in (user verified) counts as a WebAuthn second factor passed then.
      for (const stored of kind === 'webauthn' ? (['webauthn', 'passkey'] as const) : [kind]) {
        const remembered = await masks.store.signIns.lastFactor(actor.id, attempt.deviceId, stored, since);
        if (remembered) return pass({ actorId: actor.id, amr: [FACTORS[kind].amr], authTime: remembered.passedAt });
      }
    }
    return prompt('second-factor', 'interaction_required', kinds);
  },
};
