/**
 * Login throttling. Every wrong password costs the guesser time, and costs us as few argon2
 * hashes as possible: a login in backoff is refused (429 with Retry-After) before anything is
 * hashed, and hashes run a bounded number at a time.
 *
 *   address  after `freeFailuresPerAddress` wrong logins from one address (whatever the accounts,
 *            unknown names too) it is in backoff for every account;
 *   account  after `freeFailuresPerAccount` wrong passwords for one account (from anywhere) it is
 *            in backoff, but only for the addresses that gave it a wrong password: an address
 *            that has not is still checked, so a peer's (or a user's) correct password from its
 *            own address is never refused because someone elsewhere is guessing at its name.
 *
 * Backoff is `firstBackoff` after the free failures, doubling with every further one up to
 * `maxBackoff`; each counter forgets one failure every `forgiveEvery`. Refused attempts are not
 * failures (nothing was checked), so waiting is the only way out. Accounts are keyed by the name
 * tried, known or not, so throttling tells nobody which accounts exist.
 *
 * The state lives in this process's memory, bounded (the least recently failing entries are
 * forgotten first); several API processes each keep their own.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { formatDuration } from '../../shared/durations';
import { retryLater } from '../../shared/errors';

export type LoginSettings = Config['logins'];

/** Entries kept per kind (addresses, accounts, account-address pairs); about 100 bytes each. */
const MAX_TRACKED = 50_000;

/** A failure count that forgets one failure every `forgiveEvery`, and the backoff it earned. */
class Counter {
  failures = 0;
  /** When the current run of failures began (the count was zero before it). */
  streakStart = 0;
  blockedUntil = 0;
  private forgivenUpTo = 0;

  decay(now: number, forgiveEvery: number): void {
    if (forgiveEvery <= 0 || this.failures === 0) return;
    const steps = Math.floor((now - this.forgivenUpTo) / forgiveEvery);
    if (steps <= 0) return;
    this.failures = Math.max(0, this.failures - steps);
    this.forgivenUpTo += steps * forgiveEvery;
  }

  /** Counts a failure; returns the backoff (ms) it starts, if any. */
  fail(now: number, free: number, s: LoginSettings): number | undefined {
    this.decay(now, s.forgiveEvery);
    if (this.failures === 0) {
      this.streakStart = now;
      this.forgivenUpTo = now;
    }
    this.failures++;
    if (this.failures < free) return undefined;
    const backoff = Math.min(s.maxBackoff, s.firstBackoff * 2 ** Math.min(this.failures - free, 40));
    this.blockedUntil = Math.max(this.blockedUntil, now + backoff);
    return backoff;
  }

  idle(now: number): boolean {
    return this.failures === 0 && this.blockedUntil <= now;
  }
}

/** A Map that forgets its least recently updated entries beyond `max`. */
class Recent<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  /** Sets (or refreshes) an entry as the most recent. */
  set(key: string, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }
}

/**
 * The address a login is throttled by: IPv4 as is (also when IPv4-mapped), IPv6 by its /64,
 * which one host usually owns whole (or it could try from a fresh address every time).
 */
export function addressKey(ip: string | undefined): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const bare = ip.split('%')[0]!;
  if (!net.isIPv6(bare)) return ip;
  const [head = '', tail] = bare.split('::');
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const h = groups(head);
  const full = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - groups(tail).length).fill('0'), ...groups(tail)];
  return `${full
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Names tried as usernames can be long (a Basic header of many kB): long ones are kept as digests. */
function accountKey(username: string): string {
  return username.length <= 64 ? `=${username}` : `#${createHash('sha256').update(username).digest('base64')}`;
}

export interface LoginStats {
  refusedAddress: number;
  refusedAccount: number;
  overloaded: number;
  checksInProgress: number;
  checksWaiting: number;
}

export class LoginThrottle {
  private readonly addresses = new Recent<Counter>(MAX_TRACKED);
  private readonly accounts = new Recent<Counter>(MAX_TRACKED);
  /** Last wrong password per account and address. */
  private readonly pairs = new Recent<number>(MAX_TRACKED);
  private active = 0;
  private readonly busy = new Set<string>();
  private readonly waiting: { address: string; start: () => void }[] = [];
  private readonly counts = { refusedAddress: 0, refusedAccount: 0, overloaded: 0 };

  constructor(
    private readonly s: LoginSettings,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get stats(): LoginStats {
    return { ...this.counts, checksInProgress: this.active, checksWaiting: this.waiting.length };
  }

  /** Throws 429 when a login of `username` from `address` must wait; checks nothing. */
  assertAllowed(username: string, address: string): void {
    const now = this.now();
    const byAddress = this.current(this.addresses, address, now);
    if (byAddress && byAddress.blockedUntil > now) {
      this.counts.refusedAddress++;
      throw this.tooMany(`Too many failed logins from ${address}`, byAddress.blockedUntil - now);
    }
    const key = accountKey(username);
    const byAccount = this.current(this.accounts, key, now);
    if (byAccount && byAccount.blockedUntil > now) {
      const last = this.pairs.get(`${key}\0${address}`);
      if (last !== undefined && last >= byAccount.streakStart) {
        this.counts.refusedAccount++;
        throw this.tooMany(`Too many failed logins for "${username.slice(0, 64)}", some of them from ${address}`, byAccount.blockedUntil - now);
      }
    }
  }

  /** A wrong password (or an unknown name): counts against the address and the account. */
  failed(username: string, address: string, known: boolean): void {
    const now = this.now();
    const key = accountKey(username);
    const byAddress = this.addresses.get(address) ?? new Counter();
    const byAccount = this.accounts.get(key) ?? new Counter();
    const addressBackoff = byAddress.fail(now, this.s.freeFailuresPerAddress, this.s);
    const accountBackoff = byAccount.fail(now, this.s.freeFailuresPerAccount, this.s);
    this.addresses.set(address, byAddress);
    this.accounts.set(key, byAccount);
    this.pairs.set(`${key}\0${address}`, now);
    // Names that are no account are not logged: they may be passwords typed in the wrong field.
    const account = known ? username : '(no such account)';
    if (addressBackoff !== undefined) {
      this.log.warn({ address, account, failures: byAddress.failures, backoffSeconds: Math.ceil(addressBackoff / 1000) }, 'login backoff: too many failed logins from this address, all its logins wait');
    }
    if (accountBackoff !== undefined) {
      this.log.warn(
        { address, account, failures: byAccount.failures, backoffSeconds: Math.ceil(accountBackoff / 1000) },
        'login backoff: too many failed logins for this account, addresses that failed on it wait',
      );
    }
  }

  /** A correct password: this address is no longer one that failed on this account. */
  succeeded(username: string, address: string): void {
    this.pairs.delete(`${accountKey(username)}\0${address}`);
  }

  /**
   * Runs a password check: at most `concurrentChecks` at once, one at a time per address (a
   * burst of logins from one client waits for the first, whose success the verification cache
   * then answers the rest with; a burst of guesses sees the backoff the first ones earned).
   * At most `waitingChecks` wait; beyond that 503.
   */
  async checking<T>(address: string, check: () => Promise<T>): Promise<T> {
    if (this.active < this.s.concurrentChecks && !this.busy.has(address)) {
      this.active++;
      this.busy.add(address);
    } else {
      if (this.waiting.length >= this.s.waitingChecks) {
        this.counts.overloaded++;
        throw retryLater(503, 1, 'Too many logins are being checked at once.', 'Try again in a moment. Operators: see logins.concurrentChecks and logins.waitingChecks in the configuration.');
      }
      await new Promise<void>((start) => this.waiting.push({ address, start }));
    }
    try {
      return await check();
    } finally {
      this.release(address);
    }
  }

  private release(address: string): void {
    this.active--;
    this.busy.delete(address);
    for (let i = 0; i < this.waiting.length && this.active < this.s.concurrentChecks; ) {
      const next = this.waiting[i]!;
      if (this.busy.has(next.address)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.active++;
      this.busy.add(next.address);
      next.start();
    }
  }

  /** The entry with its failures forgiven so far; idle entries are dropped. */
  private current(map: Recent<Counter>, key: string, now: number): Counter | undefined {
    const c = map.get(key);
    if (!c) return undefined;
    c.decay(now, this.s.forgiveEvery);
    if (c.idle(now)) {
      map.delete(key);
      return undefined;
    }
    return c;
  }

  private tooMany(what: string, waitMs: number) {
    const seconds = Math.max(1, Math.ceil(waitMs / 1000));
    return retryLater(
      429,
      seconds,
      `${what}: wait ${seconds} s before trying again.`,
      `Check the username and password of your connection (librarian connections list); each further failure doubles the wait, up to ${formatDuration(this.s.maxBackoff)}.`,
    );
  }
}
