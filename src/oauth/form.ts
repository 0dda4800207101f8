/**
 * A strict application/x-www-form-urlencoded parser: malformed percent-encoding and
 * invalid UTF-8 are errors (400), not silently kept; repeated names become arrays so
 * Params can refuse them.
 */
import { invalidRequest } from './errors.js';

export function parseForm(body: string): Record<string, string | string[]> {
  const result: Record<string, string | string[]> = Object.create(null);
  if (body === '') return result;
  for (const pair of body.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const [rawName, rawValue] = equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      value = decodeURIComponent(rawValue.replace(/\+/g, ' '));
    } catch {
      throw invalidRequest('the body is not valid form encoding (malformed percent-encoding or UTF-8)');
    }
    const existing = result[name];
    if (existing === undefined) result[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else result[name] = [existing, value];
  }
  return result;
}
