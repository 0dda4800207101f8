/** Unit tests of the limits on guessing credentials at sign-in (src/security/guesses.ts), on a fake clock. */
import t from 'tap';
import { GuessLimits, type Guesser } from '../../src/security/guesses.js';
import { sha256 } from '../../src/security/secrets.js';

function limits() {
  const clock = { now: 1_000_000 };
  return { guesses: new GuessLimits(() => clock.now), clock };
}

const stranger = (ip: string, actorId = 'alice'): Guesser => ({ ip, actorId, identifier: actorId, knownDevice: undefined });
const noOne = (ip: string, identifier: string): Guesser => ({ ip, actorId: undefined, identifier, knownDevice: undefined });
const onDevice = (ip: string, device: string): Guesser => ({ ip, actorId: 'alice', identifier: 'alice', knownDevice: device });

/** A wrong guess that must be allowed now. */
function wrong(t: Tap, guesses: GuessLimits, who: Guesser) {
  const guess = guesses.begin(who);
  if (!('settle' in guess)) return t.fail(`expected to go ahead, told to wait ${guess.wait}s`);
  guess.settle(false);
  return true;
}
type Tap = { fail(message: string): boolean };

t.test('a guess is counted before it is checked: a burst gets no more checks than a sequence', async (t) => {
  const { guesses } = limits();
  const pending = Array.from({ length: 6 }, () => guesses.begin(stranger('192.0.2.1')));
  t.same(pending.map((guess) => guess.wait), [0, 0, 0, 0, 0, 0], '5 free guesses, and the 6th (the wait starts after it)');
  t.same(guesses.begin(stranger('192.0.2.1')), { wait: 2 }, 'the 7th waits though none has been settled');
  t.same(guesses.begin(stranger('192.0.2.1')), { wait: 2 }, 'a refused guess is not counted');
});

t.test('settle(true) forgives the guess to the address and clears the account', async (t) => {
  const { guesses } = limits();
  for (let i = 0; i < 5; i++) wrong(t, guesses, stranger('192.0.2.1'));
  const right = guesses.begin(stranger('192.0.2.1'));
  t.equal(right.wait, 0);
  if ('settle' in right) right.settle(true);
  t.equal(guesses.begin(stranger('198.51.100.7')).wait, 0, 'the account starts again from another address');
  wrong(t, guesses, stranger('192.0.2.1', 'carol'));
  t.same(guesses.begin(stranger('192.0.2.1', 'dave')), { wait: 2 }, 'the address keeps its 5 wrong guesses (+1 for carol)');
});

t.test('a known device waits only for its own guesses, apart from the account pool', async (t) => {
  const { guesses } = limits();
  for (let i = 0; i < 6; i++) wrong(t, guesses, stranger(`192.0.2.${i}`));
  t.same(guesses.begin(stranger('203.0.113.9')), { wait: 2 }, 'the account is backing off for new devices');
  t.equal(guesses.begin(onDevice('192.0.2.0', 'phone')).wait, 0, 'her own device, even on the stranger\'s address');

  const own = limits().guesses;
  for (let i = 0; i < 6; i++) wrong(t, own, onDevice('192.0.2.1', 'phone'));
  t.same(own.begin(onDevice('192.0.2.1', 'phone')), { wait: 2 }, 'the device backs off after its own wrong guesses');
  t.equal(own.begin(onDevice('192.0.2.1', 'laptop')).wait, 0, 'another known device is apart');
  t.equal(own.begin(stranger('192.0.2.1', 'carol')).wait, 0, 'the address was not charged');
  t.same(own.begin(stranger('203.0.113.9')), { wait: 4 }, 'the account was: all 7 guesses on the devices count in its run');
});

t.test('after 100 failures new devices wait a day; known devices are unaffected', async (t) => {
  const { guesses, clock } = limits();
  for (let i = 0; i < 100; i++) {
    const who = stranger(`10.0.${Math.floor(i / 200)}.${i % 200}`);
    let guess = guesses.begin(who);
    while (!('settle' in guess)) {
      clock.now += guess.wait; // a refused guess is not counted: wait out the backoff, then guess
      guess = guesses.begin(who);
    }
    guess.settle(false);
  }
  t.same(guesses.begin(stranger('203.0.113.9')), { wait: 86_401 }, 'closed for the window, a day');
  t.equal(guesses.begin(onDevice('203.0.113.9', 'phone')).wait, 0);
});

t.test('a known device also stops after 100 failures of its own', async (t) => {
  const { guesses, clock } = limits();
  const device = onDevice('192.0.2.7', 'shared-computer');
  for (let i = 0; i < 100; i++) {
    let guess = guesses.begin(device);
    while (!('settle' in guess)) {
      clock.now += guess.wait;
      guess = guesses.begin(device);
    }
    guess.settle(false);
  }
  t.same(guesses.begin(device), { wait: 86_401 }, 'a day, like the account');
});

t.test('a name that is no one\'s is limited the same way, keyed by its hash', async (t) => {
  const { guesses } = limits();
  for (let i = 0; i < 6; i++) wrong(t, guesses, noOne(`192.0.2.${i}`, 'nobody'));
  t.same(guesses.begin(noOne('203.0.113.9', 'nobody')), { wait: 2 }, 'as if it were an account: no enumeration by timing of the limits');
  t.equal(guesses.begin(noOne('203.0.113.9', 'somebody-else')).wait, 0, 'another unknown name is another key');
  const typed = 'x'.repeat(10_000);
  wrong(t, guesses, noOne('203.0.113.10', typed));
  // Reading a private field: the keys themselves are the point here.
  const keys = [...(guesses as unknown as { accounts: { entries: Map<string, unknown> } }).accounts.entries.keys()];
  t.ok(keys.includes(`unknown ${sha256('nobody')}`));
  t.ok(keys.includes(`unknown ${sha256(typed)}`));
  t.notOk(keys.some((key) => key.includes('nobody') || key.length > 100), 'the typed names are not kept, and keys stay small');
});
