/**
 * Creating actors: one copy of every rule, for whoever creates them (seeds, the first
 * manager, the CLI and next the management API). An actor has a nickname or an email
 * address (each only while enabled), both normalised and unique across nicknames and
 * email addresses alike; a password follows the one password rule and is hashed with
 * argon2id before anything is written.
 */
import type { Config } from '../config/schema.js';
import type { Masks } from '../context.js';
import { hashPassword } from '../factors/password.js';
import { InputError } from '../errors.js';
import type { Actor } from '../model.js';
import { isScopeToken } from '../oauth/scopes.js';
import { looksLikeEmail, normaliseIdentifier } from '../storage/normalise.js';
import type { ActorGuard } from '../storage/store.js';
import { passwordProblem } from './passwords.js';

/** What creating an actor needs of a masks (the CLI opens no more than this). */
export type AccountStores = Pick<Masks, 'config' | 'store'>;

export interface ActorInput {
  nickname?: string | undefined;
  email?: string | undefined;
  name?: string | undefined;
  password?: string | undefined;
  scopes?: string[] | undefined;
  /** The address is known to be the actor's (seeds, the first manager). */
  emailVerified?: boolean;
}

/** An actor's identifiers, normalised as stored. */
export interface Identifiers {
  nickname: string | undefined;
  email: string | undefined;
}

/** Longest nickname, in characters. */
export const NICKNAME_MAX_CHARS = 64;
/** Longest email address (RFC 5321 4.5.3.1: a 64-octet local part, @, a 255-octet domain). */
export const EMAIL_MAX_CHARS = 320;

const INVISIBLE = /[\p{Cc}\p{Cf}]/u;

function nicknameProblem(config: Config, nickname: string): string | undefined {
  if (!config.nicknames.enabled) return 'nicknames are turned off (nicknames.enabled)';
  if (nickname === '') return 'the nickname is blank';
  if ([...nickname].length > NICKNAME_MAX_CHARS) return `the nickname is longer than ${NICKNAME_MAX_CHARS} characters`;
  if (INVISIBLE.test(nickname)) return 'the nickname has control or invisible characters';
  // Sign-in tells the two apart by the @: a nickname holding one could never be typed.
  if (nickname.includes('@')) return 'a nickname must not contain "@" (it would be taken for an email address)';
  return undefined;
}

function emailProblem(config: Config, email: string): string | undefined {
  if (!config.emails.enabled) return 'email addresses are turned off (emails.enabled)';
  if (email === '') return 'the email address is blank';
  if (!looksLikeEmail(email)) return `${JSON.stringify(email)} is not an email address`;
  if ([...email].length > EMAIL_MAX_CHARS) return `the email address is longer than ${EMAIL_MAX_CHARS} characters`;
  return undefined;
}

/** The first of these identifiers that already names an actor, if any: nicknames and email addresses alike. */
export async function takenIdentifier(masks: AccountStores, { nickname, email }: Identifiers): Promise<string | undefined> {
  for (const identifier of [nickname, email]) {
    if (identifier && (await masks.store.actors.findByIdentifier(identifier))) return identifier;
  }
  return undefined;
}

/** One name, one actor. */
async function takenProblem(masks: AccountStores, identifiers: Identifiers): Promise<string | undefined> {
  const taken = await takenIdentifier(masks, identifiers);
  return taken === undefined ? undefined : `an actor with the nickname or email address "${taken}" already exists`;
}

function scopesProblem(scopes: string[]): string | undefined {
  const bad = scopes.find((scope) => !isScopeToken(scope));
  return bad === undefined ? undefined : `scope ${JSON.stringify(bad)} has characters outside RFC 6749 3.3`;
}

/** The identifiers of an input, normalised as they will be stored. */
export function identifiersOf(input: Pick<ActorInput, 'nickname' | 'email'>): Identifiers {
  return {
    nickname: input.nickname === undefined ? undefined : normaliseIdentifier(input.nickname),
    email: input.email === undefined ? undefined : normaliseIdentifier(input.email),
  };
}

/** Why this input breaks a rule that needs no stored data; undefined when it keeps them all. */
export function inputProblem(config: Config, input: ActorInput): string | undefined {
  const { nickname, email } = identifiersOf(input);
  if (nickname === undefined && email === undefined) return 'an actor needs a nickname or an email address';
  return (
    (nickname === undefined ? undefined : nicknameProblem(config, nickname)) ??
    (email === undefined ? undefined : emailProblem(config, email)) ??
    (input.password === undefined ? undefined : passwordProblem(config.passwords, input.password)) ??
    scopesProblem(input.scopes ?? [])
  );
}

/** Why this actor cannot be created, for the operator; undefined when it can. */
export async function actorProblem(masks: AccountStores, input: ActorInput): Promise<string | undefined> {
  return inputProblem(masks.config, input) ?? (await takenProblem(masks, identifiersOf(input)));
}

/** Create an actor after every rule; a broken rule is an InputError saying which. */
export async function createActor(masks: AccountStores, input: ActorInput): Promise<Actor> {
  const problem = await actorProblem(masks, input);
  if (problem) throw new InputError(problem);
  const passwordHash = input.password === undefined ? undefined : await hashPassword(input.password);
  // Hashing yields the event loop: someone may have taken a name meanwhile.
  const identifiers = identifiersOf(input);
  const taken = await takenProblem(masks, identifiers);
  if (taken) throw new InputError(taken);
  return masks.store.actors.create({ ...identifiers, name: input.name, passwordHash, scopes: input.scopes, emailVerified: input.emailVerified });
}

/** A change to an actor from the management API; null removes a nickname, address or name. */
export interface ActorUpdate {
  nickname?: string | null | undefined;
  email?: string | null | undefined;
  name?: string | null | undefined;
  scopes?: string[] | undefined;
  disabled?: boolean | undefined;
}

/** Why this change breaks a rule; undefined when it keeps them all. */
async function updateProblem(masks: AccountStores, actor: Actor, update: ActorUpdate, identifiers: { nickname: string | null | undefined; email: string | null | undefined }): Promise<string | undefined> {
  const { nickname, email } = identifiers;
  const nextNickname = nickname === undefined ? actor.nickname : nickname;
  const nextEmail = email === undefined ? (actor.emails[0]?.address ?? null) : email;
  if (nextNickname === null && nextEmail === null) return 'an actor needs a nickname or an email address';
  const problem =
    (nickname ? nicknameProblem(masks.config, nickname) : undefined) ??
    (email ? emailProblem(masks.config, email) : undefined) ??
    (update.name != null && [...update.name].length > 200 ? 'the name is longer than 200 characters' : undefined) ??
    scopesProblem(update.scopes ?? []);
  if (problem) return problem;
  for (const identifier of [nickname, email]) {
    if (!identifier) continue;
    const holder = await masks.store.actors.findByIdentifier(identifier);
    if (holder && holder.id !== actor.id) return `an actor with the nickname or email address "${identifier}" already exists`;
  }
  return undefined;
}

/**
 * Change an actor after every rule (disabling signs them out everywhere and revokes their
 * tokens in the same command). With `expectRevision`, only while still at that revision.
 */
export async function updateActor(masks: AccountStores & Pick<Masks, 'clock'>, actor: Actor, update: ActorUpdate, guard: ActorGuard = {}): Promise<Actor> {
  const identifiers = {
    nickname: update.nickname == null ? update.nickname : normaliseIdentifier(update.nickname),
    email: update.email == null ? update.email : normaliseIdentifier(update.email),
  };
  const problem = await updateProblem(masks, actor, update, identifiers);
  if (problem) throw new InputError(problem);
  const change = Object.fromEntries(
    Object.entries({ ...identifiers, name: update.name, scopes: update.scopes, disabled: update.disabled }).filter(([, value]) => value !== undefined),
  );
  const changed = await masks.store.actors.update(actor.id, change, masks.clock(), guard);
  if (!changed) throw new InputError(`actor "${actor.id}" no longer exists`);
  return changed;
}
