/**
 * Reading OAuth request parameters: each at most once (RFC 6749 3.1, 3.2), strings only,
 * bounded in length, no control characters.
 */
import { invalidRequest } from './errors.js';

const MAX_LENGTH = 4096;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

export class Params {
  private readonly values: Record<string, unknown>;

  constructor(source: unknown) {
    this.values = source && typeof source === 'object' && !Array.isArray(source) ? (source as Record<string, unknown>) : {};
  }

  /** The parameter's value, or undefined when absent or empty. Repeated or malformed: invalid_request. */
  get(name: string): string | undefined {
    const value = this.values[name];
    if (value === undefined || value === '') return undefined;
    if (Array.isArray(value)) throw invalidRequest(`parameter ${name} is repeated`);
    if (typeof value !== 'string') throw invalidRequest(`parameter ${name} must be a string`);
    if (value.length > MAX_LENGTH) throw invalidRequest(`parameter ${name} is too long`);
    if (CONTROL.test(value) || value.includes('\uFFFD')) throw invalidRequest(`parameter ${name} has invalid characters`);
    return value;
  }

  /** Like get, but absence is invalid_request. */
  require(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw invalidRequest(`parameter ${name} is missing`);
    return value;
  }

  has(name: string): boolean {
    return this.values[name] !== undefined && this.values[name] !== '';
  }
}
