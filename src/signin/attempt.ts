/** A sign-in attempt as the core and the checks see it: the request, who, and what passed. */
import type { AuthorizationRequest } from '../oauth/authorization_request.js';
import type { AttemptRow } from '../storage/sign_in.js';
import { FACTORS, type FactorKind, type PassedFactor } from './factors.js';

/** Steps of an attempt that are not factors. */
export type AttemptStep = 'consent';

export interface Attempt {
  id: string;
  clientId: string;
  deviceId: string;
  /** The actor the attempt belongs to, once a check has named them. */
  actorId: string | null;
  /** The validated authorization request; for internal clients only returnTo matters. */
  request: AuthorizationRequest;
  passed: PassedFactor[];
  steps: AttemptStep[];
  createdAt: number;
  expiresAt: number;
  completedAt: number | null;
}

const isFactor = (value: string): value is FactorKind => Object.hasOwn(FACTORS, value);

/** The stored row as an attempt (unknown factor kinds, from a newer masks, are left out). */
export function attemptOf(row: AttemptRow): Attempt {
  return {
    id: row.id,
    clientId: row.clientId,
    deviceId: row.deviceId,
    actorId: row.actorId,
    request: row.request as unknown as AuthorizationRequest,
    passed: row.passed.filter((p): p is PassedFactor => isFactor(p.factor)),
    steps: row.steps.filter((s): s is AttemptStep => s === 'consent'),
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    completedAt: row.completedAt,
  };
}
