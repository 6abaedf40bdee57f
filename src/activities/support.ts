import { Context } from '@temporalio/activity';
import { isLibrarianError, type LibrarianError } from '../shared/errors';
import { diskKeptFailing, isFsError, permanentFsError } from '../shared/fsErrors';
import { librarianFailure } from '../workflows/failures';
import { DISK_WORK } from '../workflows/retries';

/**
 * Runs a domain call as an activity body: a LibrarianError becomes an ApplicationFailure that
 * carries its status, retried only when it is retryable (4xx never: asking again gives the same
 * answer). A filesystem error that waiting cannot mend (read-only, permission, name too long,
 * disk full; see shared/fsErrors) that the domain did not explain is not retried either. Other
 * errors are retried as the step's retry policy says.
 */
export async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asFailure(isLibrarianError(e) ? e : permanentFsError(e)) ?? e;
  }
}

function asFailure(le: LibrarianError | undefined) {
  return le && librarianFailure(le.status, le.reason, le.suggestedRemedy, le.details, le.retryable);
}

/**
 * `run` for a catalog step that also writes the disk (staging a drive's entry), which runs under
 * CATALOG_UNTIL_IT_ANSWERS: retried without end, to wait out an outage of the catalog, but not a
 * disk that keeps failing. A filesystem error that may pass (EIO, EBUSY...) is retried as many
 * times as DISK_WORK would (8, by the attempt number Temporal gives), then fails the step: 503,
 * not retried.
 */
export async function runCatalogAndDisk<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const { attempt } = Context.current().info;
    const le = isLibrarianError(e) ? e : (permanentFsError(e) ?? (isFsError(e) && attempt >= DISK_WORK.maximumAttempts! ? diskKeptFailing(e, attempt) : undefined));
    throw asFailure(le) ?? e;
  }
}

/**
 * Runs long work with heartbeats: every few seconds (so a dead worker is noticed within the
 * heartbeat timeout), carrying the progress the work last reported. Cancellation reaches the work
 * through `signal`.
 *
 * Nothing is sent at the start nor on each progress report: Temporal counts the heartbeat timeout
 * from the start, and the SDK sends only the first heartbeat at once and holds later ones for its
 * throttle interval anyway. So work that ends within the first interval (most steps of small
 * files) costs no heartbeat round trip, and no write of the workflow's state on the server.
 */
export async function withHeartbeat<T>(fn: (h: { onProgress: (done: number, total: number) => void; onStep: (step: string) => void; signal: AbortSignal }) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  let progress: { step?: string; done: number; total: number } | undefined;
  const beat = () => ctx.heartbeat(progress);
  const timeout = ctx.info.heartbeatTimeoutMs ?? 30_000;
  const timer = setInterval(beat, Math.max(Math.min(5_000, timeout / 3), 200));
  try {
    return await run(() =>
      fn({
        onProgress: (done, total) => {
          // An absent step is left out of the heartbeat's JSON.
          progress = { step: progress?.step, done, total };
        },
        // A step made of parts (verify, then commit) says which part its progress belongs to.
        onStep: (step) => {
          progress = { step, done: 0, total: 0 };
        },
        signal: ctx.cancellationSignal,
      }),
    );
  } finally {
    clearInterval(timer);
  }
}

/**
 * For calls that may wait on a network (peers, Globus): heartbeats while they run, so a worker
 * killed in the middle is noticed within the heartbeat timeout, not the start-to-close timeout.
 */
export function beating<T>(fn: () => Promise<T>): Promise<T> {
  return withHeartbeat(() => fn());
}
