/**
 * The API's requests in flight, for stopping in order: once stopping, new requests are refused
 * (503) while those under way finish; the ones still running after the grace period are cut short
 * (their waits on Temporal aborted), so no call is left on the Temporal connection when it closes.
 */
import { unavailable, type LibrarianError } from '../shared/errors';

export function stoppingError(): LibrarianError {
  return unavailable('This Librarian is stopping.', 'Send the request again once it is back (usually within a minute); work it had started carries on then, and asking again gives its outcome.');
}

export class InFlight {
  private readonly running = new Set<AbortController>();
  private waiters: (() => void)[] = [];
  stopping = false;

  get count(): number {
    return this.running.size;
  }

  /** Runs one request's work with a signal that is aborted if the API stops before it ends. */
  async run<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const c = new AbortController();
    this.running.add(c);
    try {
      return await fn(c.signal);
    } finally {
      this.running.delete(c);
      if (this.running.size === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** True once no request runs; false if some still do after `ms`. */
  settled(ms: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  abortAll(): void {
    for (const c of this.running) c.abort();
  }
}
