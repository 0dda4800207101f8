/**
 * Human durations ("10 minutes", "6 hours", "1 month", "30s", "1 hour 30 minutes")
 * parsed once, at config load, into whole seconds.
 */

const UNIT_SECONDS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  m: 60, min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: 86_400, day: 86_400, days: 86_400,
  w: 604_800, week: 604_800, weeks: 604_800,
  month: 2_592_000, months: 2_592_000, // 30 days
  y: 31_536_000, year: 31_536_000, years: 31_536_000, // 365 days
};

const PART = /(\d+)\s*([a-z]+)/g;
const WHOLE = /^\s*(\d+\s*[a-z]+\s*)+$/;

/** A regular expression that accepts exactly what {@link parseDuration} accepts (units checked later). */
export const DURATION_PATTERN = '^\\s*(\\d+\\s*[A-Za-z]+\\s*)+$|^\\s*\\d+\\s*$';

/** The longest duration masks takes (100 years): beyond it no lifetime makes sense, and dates stop being dates. */
export const MAX_DURATION = 100 * 31_536_000;

const bounded = (seconds: number, input: string | number): number => {
  if (seconds > MAX_DURATION) throw new Error(`${JSON.stringify(input)} is longer than 100 years`);
  return seconds;
};

/** Parse a duration into seconds; plain numbers (or numeric strings) are seconds. Throws on anything else, and beyond 100 years. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isSafeInteger(input) || input < 0) throw new Error(`${input} is not a whole number of seconds`);
    return bounded(input, input);
  }
  const text = input.trim().toLowerCase();
  if (/^\d+$/.test(text)) return bounded(Number(text), input);
  if (!WHOLE.test(text)) throw new Error(`"${input}" is not a duration (try "10 minutes", "6 hours" or "30s")`);
  let total = 0;
  for (const [, amount, unit] of text.matchAll(PART)) {
    const seconds = UNIT_SECONDS[unit!];
    if (seconds === undefined) throw new Error(`"${input}" has an unknown unit "${unit}" (use s, m, h, d, w, month or year)`);
    total += Number(amount) * seconds;
  }
  return bounded(total, input);
}

/** True when the text parses as a duration. */
export function isDuration(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseDuration(input);
    return true;
  } catch {
    return false;
  }
}

const FORMAT_UNITS: Array<[number, string]> = [
  [31_536_000, 'year'], [2_592_000, 'month'], [604_800, 'week'], [86_400, 'day'],
  [3600, 'hour'], [60, 'minute'], [1, 'second'],
];

/** Seconds back to the shortest exact human form ("6 hours", "90 seconds"). */
export function formatDuration(seconds: number): string {
  for (const [size, name] of FORMAT_UNITS) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? '' : 's'}`;
    }
  }
  return `${seconds} seconds`;
}
