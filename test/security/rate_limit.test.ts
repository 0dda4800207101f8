/** Unit tests of the failure limiter and address keys (src/security/rate_limit.ts), on a fake clock. */
import t from 'tap';
import { addressKey, FailureLimiter, type LimitOptions } from '../../src/security/rate_limit.js';

function limiter(options: Partial<LimitOptions> = {}) {
  const clock = { now: 1_000_000 };
  const limits = new FailureLimiter({ free: 3, baseDelay: 1, maxDelay: 8, window: 100, ...options }, () => clock.now);
  const failTimes = (key: string, times: number) => {
    for (let i = 0; i < times; i++) limits.fail(key);
  };
  return { limits, clock, failTimes };
}

t.test('free failures, then a wait that doubles up to maxDelay', async (t) => {
  const { limits, clock, failTimes } = limiter();
  t.equal(limits.retryAfter('k'), 0, 'an unknown key goes ahead');
  failTimes('k', 3);
  t.equal(limits.retryAfter('k'), 0, '3 free failures');
  const waits: number[] = [];
  for (let i = 0; i < 6; i++) {
    limits.fail('k');
    waits.push(limits.retryAfter('k'));
  }
  t.same(waits, [1, 2, 4, 8, 8, 8], 'doubling, capped at maxDelay');
  clock.now += 5;
  t.equal(limits.retryAfter('k'), 3, 'the wait counts from the last failure');
  clock.now += 3;
  t.equal(limits.retryAfter('k'), 0);
  t.equal(limits.retryAfter('other'), 0, 'keys are independent');
});

t.test('failures are forgotten a window after the last one', async (t) => {
  const { limits, clock, failTimes } = limiter();
  failTimes('k', 5);
  t.equal(limits.retryAfter('k'), 2);
  clock.now += 100;
  limits.fail('k');
  t.equal(limits.retryAfter('k'), 4, 'a failure at the edge of the window still counts (the 6th)');
  clock.now += 101;
  t.equal(limits.retryAfter('k'), 0, 'past the window: forgotten');
  limits.fail('k');
  t.equal(limits.retryAfter('k'), 0, 'and the count starts again (1 of 3 free)');
});

t.test('maxFailures closes the key until a window passes without a failure', async (t) => {
  const { limits, clock, failTimes } = limiter({ maxFailures: 5 });
  failTimes('k', 4);
  t.equal(limits.retryAfter('k'), 1);
  limits.fail('k');
  t.equal(limits.retryAfter('k'), 101, 'closed for the window, whatever maxDelay says');
  clock.now += 60;
  t.equal(limits.retryAfter('k'), 41);
  clock.now += 41;
  t.equal(limits.retryAfter('k'), 0, 'open again');
});

t.test('forgive takes back one failure; succeed clears the key', async (t) => {
  const { limits, failTimes } = limiter();
  failTimes('k', 4);
  t.equal(limits.retryAfter('k'), 1);
  limits.forgive('k');
  t.equal(limits.retryAfter('k'), 0, 'back to 3 free failures');
  limits.fail('k');
  t.equal(limits.retryAfter('k'), 1, 'the other failures were kept');
  limits.succeed('k');
  t.equal(limits.retryAfter('k'), 0);
  failTimes('k', 4);
  t.equal(limits.retryAfter('k'), 1, 'counting from zero after succeed');
  limits.forgive('unknown');
  t.equal(limits.retryAfter('unknown'), 0, 'forgiving an unknown key is a no-op');
  limits.fail('one');
  limits.forgive('one');
  failTimes('one', 3);
  t.equal(limits.retryAfter('one'), 0, 'forgiving the only failure removes the key');
});

t.test('addressKey: IPv4 as is, IPv6 by its /64, IPv4-mapped as IPv4', async (t) => {
  t.equal(addressKey('192.0.2.1'), '192.0.2.1');
  t.equal(addressKey('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
  t.equal(addressKey('2001:0DB8:0001:0002:ffff:0:0:1'), '2001:db8:1:2::/64', 'leading zeros and case');
  t.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64', 'with ::');
  t.equal(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), 'one /64, one key');
  t.not(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'), 'another /64, another key');
  t.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64', ':: inside the /64');
  t.equal(addressKey('::1'), '0:0:0:0::/64');
  t.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64', 'the zone is dropped');
  t.equal(addressKey('::ffff:192.0.2.1'), '192.0.2.1');
  t.equal(addressKey('::FFFF:192.0.2.1'), '192.0.2.1');
  t.equal(addressKey('::ffff:192.0.2.1'), addressKey('192.0.2.1'), 'one address, one key, whichever stack it came in on');
  t.equal(addressKey('192.0.2.1:51234'), '192.0.2.1', 'a forwarded port is not part of the address');
  t.equal(addressKey('[2001:db8:1:2::9]:443'), '2001:db8:1:2::/64', 'nor in brackets');
  for (const spelling of ['192.0.2.01', '0300.0.2.1', '0xc0.0.2.1', 'x0', 'not an address']) {
    t.equal(addressKey(spelling), 'not-an-address', `${spelling}: no fresh key per spelling`);
  }
});

t.test('a full limiter lets go of keys that make no one wait before the ones that do', async (t) => {
  const clock = { now: 1_000 };
  const limiter = new FailureLimiter({ free: 2, baseDelay: 10, maxDelay: 100, window: 3600 }, () => clock.now);
  for (let i = 0; i < 5; i++) limiter.fail('victim');
  const waiting = limiter.retryAfter('victim');
  t.ok(waiting > 0);
  for (let i = 0; i < 100_001; i++) limiter.fail(`flood-${i}`);
  t.equal(limiter.retryAfter('victim'), waiting, 'a flood of one-off failures did not push the real count out');
});
