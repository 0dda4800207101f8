/**
 * The one table of factors: how each proves who someone is, its `amr` value (RFC 8176),
 * whether it is a first or a second factor, and the client setting that says how long a
 * pass is remembered on a device. Checks, ID tokens and sessions read it; nothing else
 * spells an amr value. A new factor is a new row.
 */
import type { ClientSettings } from '../config/schema.js';

export interface Factor {
  /** RFC 8176 authentication method reference. */
  amr: string;
  /** First factors say who someone is; second factors confirm it. */
  order: 'first' | 'second';
  /** The client setting (seconds) for which a pass is remembered on a device. */
  remembered: keyof ClientSettings & `${string}_expires_in`;
  /** A first factor that proves a second one too (a passkey used with user verification). */
  alsoSecond?: true;
}

export const FACTORS = {
  password: { amr: 'pwd', order: 'first', remembered: 'password_factor_expires_in' },
  // Not in RFC 8176; the value other providers use for a link or code sent by email.
  login_link: { amr: 'email', order: 'first', remembered: 'login_link_factor_expires_in' },
  // Passwordless: a discoverable credential with user verification, possession and PIN or biometrics in one.
  passkey: { amr: 'hwk', order: 'first', remembered: 'password_factor_expires_in', alsoSecond: true },
  totp: { amr: 'otp', order: 'second', remembered: 'second_factor_totp_code_expires_in' },
  backup_code: { amr: 'otp', order: 'second', remembered: 'second_factor_backup_code_expires_in' },
  webauthn: { amr: 'hwk', order: 'second', remembered: 'second_factor_webauthn_expires_in' },
  sms: { amr: 'sms', order: 'second', remembered: 'second_factor_phone_expires_in' },
} as const satisfies Record<string, Factor>;

export type FactorKind = keyof typeof FACTORS;
export type SecondFactorKind = { [K in FactorKind]: (typeof FACTORS)[K]['order'] extends 'second' ? K : never }[FactorKind];

export const isSecondFactor = (kind: FactorKind): kind is SecondFactorKind => FACTORS[kind].order === 'second';
/** Does passing `kind` satisfy the second-factor check? */
export const provesSecond = (kind: FactorKind): boolean => FACTORS[kind].order === 'second' || (FACTORS[kind] as Factor).alsoSecond === true;
/** Phishing-resistant factors: WebAuthn, bound to masks' origin. */
export const isPhishingResistant = (kind: FactorKind): boolean => FACTORS[kind].amr === 'hwk';
export const FIRST_FACTORS = (Object.keys(FACTORS) as FactorKind[]).filter((kind) => FACTORS[kind].order === 'first');

/** A factor passed during a sign-in, and when. */
export interface PassedFactor {
  factor: FactorKind;
  at: number;
}

/** The amr claim for the factors passed, in table order, each value once. */
export function amrOf(kinds: Iterable<FactorKind>): string[] {
  const passed = new Set(kinds);
  return [...new Set((Object.keys(FACTORS) as FactorKind[]).filter((kind) => passed.has(kind)).map((kind) => FACTORS[kind].amr))];
}

export type Acr = 'pwd' | 'mfa' | 'phr';

const SECOND_FACTOR_AMR = new Set(Object.values(FACTORS as Record<string, Factor>).filter((f) => f.order === 'second').map((f) => f.amr));

/**
 * The levels (ID token `acr`) masks can reach: `pwd` one factor, `mfa` two, `phr` a
 * phishing-resistant one (WebAuthn: a passkey or security key). Discovery lists these.
 */
export const ACR_VALUES_SUPPORTED: Acr[] = ['pwd', 'mfa', 'phr'];

/** The level the amr values reach. */
export function acrOf(amr: readonly string[]): Acr {
  if (amr.includes('hwk')) return 'phr';
  return amr.some((value) => SECOND_FACTOR_AMR.has(value)) ? 'mfa' : 'pwd';
}

/** The level an authorization request asks for: the first of its acr_values masks supports (OIDC Core 3.1.2.1: in order of preference). */
export function requestedAcr(acrValues: readonly string[]): Acr | undefined {
  return acrValues.find((value): value is Acr => (ACR_VALUES_SUPPORTED as string[]).includes(value));
}

/** Is this a factor kind masks knows (a stored one may come from a newer masks)? */
export const isFactorKind = (value: string): value is FactorKind => Object.hasOwn(FACTORS, value);
