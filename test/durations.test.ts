import t from 'tap';
import { formatDuration, parseDuration } from '../src/config/durations.js';

t.test('human durations parse into seconds', async (t) => {
  const cases: Array<[string | number, number]> = [
    ['30s', 30],
    ['15m', 900],
    ['10 minutes', 600],
    ['1 minute', 60],
    ['6 hours', 21_600],
    ['1 day', 86_400],
    ['400 days', 34_560_000],
    ['2 weeks', 1_209_600],
    ['1 month', 2_592_000],
    ['1 year', 31_536_000],
    ['1 hour 30 minutes', 5400],
    ['  12 Hours ', 43_200],
    ['45', 45],
    [0, 0],
    [3600, 3600],
  ];
  for (const [input, seconds] of cases) t.equal(parseDuration(input), seconds, String(input));
});

t.test('anything else is refused', async (t) => {
  for (const input of ['', 'soon', '10 minuts', '-5 minutes', '1.5 hours', 'minutes', '10 minutes ago', '5 fortnights']) {
    t.throws(() => parseDuration(input), JSON.stringify(input));
  }
  t.throws(() => parseDuration(-1));
  t.throws(() => parseDuration(1.5));
});

t.test('formatting gives back the shortest exact form', async (t) => {
  t.equal(formatDuration(21_600), '6 hours');
  t.equal(formatDuration(60), '1 minute');
  t.equal(formatDuration(90), '90 seconds');
  t.equal(formatDuration(2_592_000), '1 month');
  for (const seconds of [1, 59, 61, 3601, 86_400, 34_560_000]) t.equal(parseDuration(formatDuration(seconds)), seconds, `round trip ${seconds}`);
});
