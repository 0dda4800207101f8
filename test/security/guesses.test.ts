/** Unit tests of the limits on guessing credentials at sign-in (src/security/guesses.ts), on a fake clock. */
import t from 'tap';
import { GuessLimits, type Guesser } from '../../src/security/guesses.js';
import { MemoryCounters } from '../../src/security/rate_limit.js';
import { sha256 } from '../../src/security/secrets.js';

function limits() {
  const clock = { now: 1_000_000 };
  return { guesses: new GuessLimits(new MemoryCounters(() => clock.now)), clock };
}

const stranger = (ip: string, actorId = 'alice'): Guesser => ({ ip, actorId, identifier: actorId, knownDevice: undefined });
const noOne = (ip: string, identifier: string): Guesser => ({ ip, actorId: undefined, identifier, knownDevice: undefined });
const onDevice = (ip: string, device: string): Guesser => ({ ip, actorId: 'alice', identifier: 'alice', knownDevice: device });

/** A wrong guess that must be allowed now. */
async function wrong(t: Tap, guesses: GuessLimits, who: Guesser) {
  const guess = await guesses.begin(who);
  if (!('settle' in guess)) return t.fail(`expected to go ahead, told to wait ${guess.wait}s`);
  await guess.settle(false);
  return true;
}
type Tap = { fail(message: string): boolean };

t.test('a guess is counted before it is checked: a burst gets no more checks than a sequence', async (t) => {
  const { guesses } = limits();
  const pending = await Promise.all(Array.from({ length: 6 }, () => guesses.begin(stranger('192.0.2.1'))));
  t.same(pending.map((guess) => guess.wait), [0, 0, 0, 0, 0, 0], '5 free guesses, and the 6th (the wait starts after it)');
  t.same(await guesses.begin(stranger('192.0.2.1')), { wait: 2 }, 'the 7th waits though none has been settled');
  t.same(await guesses.begin(stranger('192.0.2.1')), { wait: 2 }, 'a refused guess is not counted');
});

t.test('settle(true) forgives the guess to the address and clears the account', async (t) => {
  const { guesses } = limits();
  for (let i = 0; i < 5; i++) await wrong(t, guesses, stranger('192.0.2.1'));
  const right = await guesses.begin(stranger('192.0.2.1'));
  t.equal(right.wait, 0);
  if ('settle' in right) await right.settle(true);
  t.equal((await guesses.begin(stranger('198.51.100.7'))).wait, 0, 'the account starts again from another address');
  await wrong(t, guesses, stranger('192.0.2.1', 'carol'));
  t.same(await guesses.begin(stranger('192.0.2.1', 'dave')), { wait: 2 }, 'the address keeps its 5 wrong guesses (+1 for carol)');
});

t.test('a known device waits only for its own guesses, apart from the account pool', async (t) => {
  const { guesses } = limits();
  for (let i = 0; i < 6; i++) await wrong(t, guesses, stranger(`192.0.2.${i}`));
  t.same(await guesses.begin(stranger('203.0.113.9')), { wait: 2 }, 'the account is backing off for new devices');
  t.equal((await guesses.begin(onDevice('192.0.2.0', 'phone'))).wait, 0, 'her own device, even on the stranger\'s address');

  const own = limits().guesses;
  for (let i = 0; i < 6; i++) await wrong(t, own, onDevice('192.0.2.1', 'phone'));
  t.same(await own.begin(onDevice('192.0.2.1', 'phone')), { wait: 2 }, 'the device backs off after its own wrong guesses');
  t.equal((await own.begin(onDevice('192.0.2.1', 'laptop'))).wait, 0, 'another known device is apart');
  t.equal((await own.begin(stranger('192.0.2.1', 'carol'))).wait, 0, 'the address was not charged');
  t.same(await own.begin(stranger('203.0.113.9')), { wait: 4 }, 'the account was: all 7 guesses on the devices count in its run');
});

t.test('after 100 failures new devices wait a day; known devices are unaffected', async (t) => {
  const { guesses, clock } = limits();
  for (let i = 0; i < 100; i++) {
    const who = stranger(`10.0.${Math.floor(i / 200)}.${i % 200}`);
    let guess = await guesses.begin(who);
    while (!('settle' in guess)) {
      clock.now += guess.wait; // a refused guess is not counted: wait out the backoff, then guess
      guess = await guesses.begin(who);
    }
    await guess.settle(false);
  }
  t.same(await guesses.begin(stranger('203.0.113.9')), { wait: 86_401 }, 'closed for the window, a day');
  t.equal((await guesses.begin(onDevice('203.0.113.9', 'phone'))).wait, 0);
});

t.test('a known device also stops after 100 failures of its own', async (t) => {
  const { guesses, clock } = limits();
  const device = onDevice('192.0.2.7', 'shared-computer');
  for (let i = 0; i < 100; i++) {
    let guess = await guesses.begin(device);
    while (!('settle' in guess)) {
      clock.now += guess.wait;
      guess = await guesses.begin(device);
    }
    await guess.settle(false);
  }
  t.same(await guesses.begin(device), { wait: 86_401 }, 'a day, like the account');
});

t.test('a name that is no one\'s is limited the same way, keyed by its hash', async (t) => {
  const clock = { now: 1_000_000 };
  const counters = new MemoryCounters(() => clock.now);
  const counted: string[] = [];
  const guesses = new GuessLimits({
    ...counters,
    take: (check, count) => (counted.push(...count.filter((c) => c.limit.name === 'guess.account').map((c) => c.key)), counters.take(check, count)),
    peek: (check) => counters.peek(check),
    forgive: (c) => counters.forgive(c),
    clear: (c) => counters.clear(c),
  });
  for (let i = 0; i < 6; i++) await wrong(t, guesses, noOne(`192.0.2.${i}`, 'nobody'));
  t.same(await guesses.begin(noOne('203.0.113.9', 'nobody')), { wait: 2 }, 'as if it were an account: no enumeration by timing of the limits');
  t.equal((await guesses.begin(noOne('203.0.113.9', 'somebody-else'))).wait, 0, 'another unknown name is another key');
  const typed = 'x'.repeat(10_000);
  await wrong(t, guesses, noOne('203.0.113.10', typed));
  const keys = [...new Set(counted)];
  t.ok(keys.includes(`unknown ${sha256('nobody')}`));
  t.ok(keys.includes(`unknown ${sha256(typed)}`));
  t.notOk(keys.some((key) => key.includes('nobody') || key.length > 100), 'the typed names are not kept, and keys stay small');
});
