/**
 * Reading OAuth request parameters: each at most once (RFC 6749 3.1, 3.2), strings only.
 * Values masks parses are bounded in length and free of control characters (TAB too); opaque values
 * (tokens, codes, secrets: only hashed and looked up) are bounded by the body limit alone.
 */
import { invalidRequest } from './errors.js';

const MAX_LENGTH = 4096;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export class Params {
  private readonly values: Record<string, unknown>;

  constructor(source: unknown) {
    this.values = source && typeof source === 'object' && !Array.isArray(source) ? (source as Record<string, unknown>) : {};
  }

  /** The parameter's value, or undefined when absent or empty. Repeated or malformed: invalid_request. */
  get(name: string): string | undefined {
    const value = this.opaque(name);
    if (value === undefined) return undefined;
    if (value.length > MAX_LENGTH) throw invalidRequest(`parameter ${name} is too long`);
    if (CONTROL.test(value) || value.includes('\uFFFD')) throw invalidRequest(`parameter ${name} has invalid characters`);
    return value;
  }

  /** Like get, but absence is invalid_request. */
  require(name: string): string {
    return present(name, this.get(name));
  }

  /**
   * A value masks only hashes to look up (a token, code or secret), or undefined when absent
   * or empty. Repeated or not a string: invalid_request; any length or character is fine, so
   * that what masks never issued gets the endpoint's "not ours" answer (RFC 7662 2.2, RFC 7009 2.2).
   */
  opaque(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === '') return undefined;
    if (Array.isArray(value)) throw invalidRequest(`parameter ${name} is repeated`);
    if (typeof value !== 'string') throw invalidRequest(`parameter ${name} must be a string`);
    return value;
  }

  /** Like opaque, but absence is invalid_request. */
  requireOpaque(name: string): string {
    return present(name, this.opaque(name));
  }

  has(name: string): boolean {
    return this.values[name] !== undefined && this.values[name] !== '';
  }
}

function present(name: string, value: string | undefined): string {
  if (value === undefined) throw invalidRequest(`parameter ${name} is missing`);
  return value;
}
