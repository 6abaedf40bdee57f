/**
 * Login throttling's rules on a fake clock (the end-to-end behaviour over HTTP, with real argon2
 * on both catalogs, is in test/e2e/logins.test.ts).
 */
import pino from 'pino';
import { addressKey, LoginThrottle, type LoginSettings } from '../../src/domain/users/throttle';
import { LibrarianError } from '../../src/shared/errors';

const SETTINGS: LoginSettings = {
  freeFailuresPerAccount: 3,
  freeFailuresPerAddress: 6,
  firstBackoff: 1_000,
  maxBackoff: 8_000,
  forgiveEvery: 60_000,
  concurrentChecks: 2,
  waitingChecks: 3,
};

function throttle(settings: Partial<LoginSettings> = {}) {
  const clock = { now: 1_000_000 };
  return { t: new LoginThrottle({ ...SETTINGS, ...settings }, pino({ level: 'silent' }), () => clock.now), clock };
}

/** The refusal of a login, or 'allowed'. */
function refusal(t: LoginThrottle, user: string, address: string): string | { status: number; retryAfter: unknown; reason: string } {
  try {
    t.assertAllowed(user, address);
    return 'allowed';
  } catch (e) {
    if (!(e instanceof LibrarianError)) throw e;
    return { status: e.status, retryAfter: e.details.retry_after, reason: e.reason };
  }
}

test('an account: free failures, then a wait doubling with each failure up to the cap; one failure forgiven per interval', () => {
  const { t, clock } = throttle({ freeFailuresPerAddress: 100 });
  for (let i = 0; i < 2; i++) t.failed('carol', '10.0.0.1', true);
  expect(refusal(t, 'carol', '10.0.0.1')).toBe('allowed');
  const waits: unknown[] = [];
  for (let i = 0; i < 5; i++) {
    t.failed('carol', '10.0.0.1', true);
    waits.push((refusal(t, 'carol', '10.0.0.1') as { retryAfter: unknown }).retryAfter);
  }
  expect(waits).toEqual([1, 2, 4, 8, 8]);
  expect(refusal(t, 'carol', '10.0.0.1')).toEqual({ status: 429, retryAfter: 8, reason: 'Too many failed logins for "carol", some of them from 10.0.0.1: wait 8 s before trying again.' });
  clock.now += 8_000;
  expect(refusal(t, 'carol', '10.0.0.1')).toBe('allowed');
  // 7 failures; after 5 intervals 2 are left: the next one is the third, back in backoff for 1 s.
  clock.now += 5 * 60_000;
  t.failed('carol', '10.0.0.1', true);
  expect(refusal(t, 'carol', '10.0.0.1')).toMatchObject({ retryAfter: 1 });
  clock.now += 1_000;
  expect(refusal(t, 'carol', '10.0.0.1')).toBe('allowed');
});

test('an account in backoff holds back only the addresses that failed on it; a correct password clears its address', () => {
  const { t } = throttle();
  for (let i = 0; i < 3; i++) t.failed('site-b', '10.0.0.66', true);
  expect(refusal(t, 'site-b', '10.0.0.66')).toMatchObject({ status: 429 });
  // The peer's own address, or any other that gave no wrong password for it, is still checked.
  expect(refusal(t, 'site-b', '10.0.0.2')).toBe('allowed');
  expect(refusal(t, 'site-b', '2001:db8::7')).toBe('allowed');
  // A user who mistyped from there too waits; once right, that address is no longer held back.
  t.failed('site-b', '10.0.0.2', true);
  expect(refusal(t, 'site-b', '10.0.0.2')).toMatchObject({ status: 429, retryAfter: 2 });
  t.succeeded('site-b', '10.0.0.2');
  expect(refusal(t, 'site-b', '10.0.0.2')).toBe('allowed');
  expect(refusal(t, 'site-b', '10.0.0.66')).toMatchObject({ status: 429 });
  // Other accounts from the attacking address are not held back (yet).
  expect(refusal(t, 'other', '10.0.0.66')).toBe('allowed');
});

test('an address guessing at many accounts, known or not, is held back for every account', () => {
  const { t } = throttle();
  for (let i = 0; i < 6; i++) t.failed(`name-${i}`, '10.0.0.9', false);
  expect(refusal(t, 'anyone', '10.0.0.9')).toEqual({ status: 429, retryAfter: 1, reason: 'Too many failed logins from 10.0.0.9: wait 1 s before trying again.' });
  expect(refusal(t, 'anyone', '10.0.0.10')).toBe('allowed');
  // Unknown names are throttled exactly like accounts that exist.
  for (let i = 0; i < 3; i++) t.failed('no-such-user', '10.0.0.11', false);
  expect(refusal(t, 'no-such-user', '10.0.0.11')).toMatchObject({ status: 429, retryAfter: 1 });
  const long = 'x'.repeat(10_000);
  for (let i = 0; i < 3; i++) t.failed(long, '10.0.0.12', false);
  expect(refusal(t, long, '10.0.0.12')).toMatchObject({ status: 429, reason: expect.stringContaining(`"${'x'.repeat(64)}"`) });
  expect(t.stats).toMatchObject({ refusedAddress: 1, refusedAccount: 2 });
});

test('checks: at most concurrentChecks at once, one at a time per address, at most waitingChecks waiting (then 503)', async () => {
  const { t } = throttle();
  let running = 0;
  let most = 0;
  const order: string[] = [];
  const gates: (() => void)[] = [];
  const check = (name: string) => () =>
    new Promise<string>((resolve) => {
      running++;
      most = Math.max(most, running);
      order.push(name);
      gates.push(() => {
        running--;
        resolve(name);
      });
    });
  const a1 = t.checking('10.0.0.1', check('a1'));
  const a2 = t.checking('10.0.0.1', check('a2'));
  const b1 = t.checking('10.0.0.2', check('b1'));
  const c1 = t.checking('10.0.0.3', check('c1'));
  const d1 = t.checking('10.0.0.4', check('d1'));
  // a1 and b1 run; a2 (same address as a1), c1 and d1 wait; the waiting room is full.
  const over = await t.checking('10.0.0.5', check('e1')).catch((e: LibrarianError) => e);
  expect(over).toBeInstanceOf(LibrarianError);
  expect([(over as LibrarianError).status, (over as LibrarianError).details]).toEqual([503, { retry_after: 1 }]);
  expect(order).toEqual(['a1', 'b1']);
  expect(t.stats).toMatchObject({ checksInProgress: 2, checksWaiting: 3, overloaded: 1 });
  // b1 ends: a2 is first in line, but its address is still being checked (a1), so c1 goes.
  gates[1]!();
  expect(await b1).toBe('b1');
  expect(order).toEqual(['a1', 'b1', 'c1']);
  // a1 ends: a2 goes.
  gates[0]!();
  expect(await a1).toBe('a1');
  expect(order).toEqual(['a1', 'b1', 'c1', 'a2']);
  for (const i of [2, 3, 4]) {
    gates[i]!();
    await new Promise((r) => setImmediate(r));
  }
  expect(await Promise.all([a2, c1, d1])).toEqual(['a2', 'c1', 'd1']);
  expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'd1']);
  expect(most).toBe(2);
  expect(t.stats).toMatchObject({ checksInProgress: 0, checksWaiting: 0 });
});

test('addresses: IPv4-mapped IPv6 as IPv4, IPv6 by its /64', () => {
  expect(addressKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
  expect(addressKey('192.0.2.7')).toBe('192.0.2.7');
  expect(addressKey('2001:db8:0:12:aaaa::1')).toBe('2001:db8:0:12::/64');
  expect(addressKey('2001:0db8:0000:0012:ffff:1:2:3')).toBe('2001:db8:0:12::/64');
  expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
  expect(addressKey('::1')).toBe('0:0:0:0::/64');
  expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  expect(addressKey(undefined)).toBe('unknown');
});
