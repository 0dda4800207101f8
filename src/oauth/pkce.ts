/** PKCE (RFC 7636): S256 only; verifiers compared in constant time. */
import { createHash } from 'node:crypto';
import { constantTimeEqual } from '../security/secrets.js';

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

export const isVerifier = (value: string): boolean => VERIFIER.test(value);

export const s256 = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

export const verifierMatches = (verifier: string, challenge: string): boolean => isVerifier(verifier) && constantTimeEqual(s256(verifier), challenge);
