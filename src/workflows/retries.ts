/**
 * How long the workflows retry a failing step, by kind of step: every retry policy of every
 * workflow is one of these (test/unit/retryPolicies.test.ts reads each proxyActivities call).
 *
 * Temporal retries an activity unless its failure is non-retryable: a LibrarianError 4xx, or a
 * filesystem error that waiting cannot mend (read-only, permissions, a name too long, a file in
 * the way, a full disk; see shared/fsErrors.ts and activities/support.ts), which fails the step at
 * once. These policies bound the rest, by a number of attempts or, for calls to peers, Globus and
 * a SneakerNet drive, by the call's scheduleToCloseTimeout (clone.giveUpAfter). One policy alone
 * retries without end, on purpose: CATALOG_UNTIL_IT_ANSWERS.
 */
import type { RetryPolicy } from '@temporalio/common';

/**
 * Hashing, copying and moving data on our disks while a client waits (an upload's commit, a
 * received clone, a validation, an import, an operator's deletion): a passing I/O error or a
 * killed worker is retried for about two minutes (8 attempts, 1 s doubling to 1 min), then the
 * step fails and the transfer (or the request) with it.
 */
export const DISK_WORK: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 };

/**
 * The same work in the background (audits, repairs, deletions, local clones, imported entries,
 * checking a clone batch's sources): about an hour and a half of retries (10 attempts, 10 s
 * doubling to 10 min), then the run fails with the reason, and its Schedule (or the operator)
 * runs it again.
 */
export const BACKGROUND_DISK_WORK: RetryPolicy = { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 10 };

/**
 * Errors that are bugs or a query the database refuses for good, never an outage: waiting cannot
 * mend them, so even CATALOG_UNTIL_IT_ANSWERS does not retry them: the step fails at once with
 * the error, visibly, instead of looping unseen. Names as Temporal records them (the error's class). A catalog that does not
 * answer is a PrismaClientKnownRequestError (P1001 and the like), which is retried.
 */
export const BUGS = ['TypeError', 'ReferenceError', 'SyntaxError', 'RangeError', 'PrismaClientValidationError'];

/**
 * Catalog steps of the flows that carry a transfer or wait for days (an upload's end, a received
 * clone, a clone batch, a SneakerNet drive's trip and ingest, a repair): retried WITHOUT END,
 * every second doubling to a minute apart, so that an outage of the catalog database of hours or
 * days only delays them and work resumes by itself when it answers (docs/operations.md 7.9).
 * Giving up would lose what only the workflow knows (a transfer in flight, a trip, a repair's
 * wait), and nothing would start it again. Permanent errors are not retried: 4xx and filesystem
 * errors waiting cannot mend (activities/support.ts) and BUGS. Steps under this policy do not
 * write the disk, or only as best effort (removing an ended transfer's staging: a failure is
 * logged), except staging a drive's entry: there a filesystem error that may pass (EIO...) is
 * retried only as many times as DISK_WORK would, then fails the step (activities/support.ts
 * runCatalogAndDisk), so no step waits without end for a failing disk.
 */
export const CATALOG_UNTIL_IT_ANSWERS: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: Number.POSITIVE_INFINITY,
  nonRetryableErrorTypes: BUGS,
};

/**
 * Catalog steps of runs that end with a verdict and are started again when they fail, by their
 * Schedule (audits, rolling deletions, sending clones, local clones, store health checks), the
 * operator or the client (validations): about four minutes of retries (10 attempts, 1 s doubling
 * to 1 min), then the run fails with the reason.
 */
export const CATALOG_FOR_MINUTES: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: BUGS };

/**
 * Staging an upload: the stage call holds an HTTP request open, so it is retried (1 s doubling to
 * 10 s) for at most STAGING_GIVE_UP, the call's scheduleToCloseTimeout, then answered 503.
 */
export const STAGING: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s' };
export const STAGING_GIVE_UP = '2m';

/** Best-effort extras (learning a creation time, clean-up after a cancellation): three quick tries. */
export const BEST_EFFORT: RetryPolicy = { initialInterval: '1s', maximumAttempts: 3 };

/** Asking a peer for a repair copy: a peer that does not answer after four tries (about a minute) is asked again on the repair's next round. */
export const PEER_ASKED_AGAIN_LATER: RetryPolicy = { initialInterval: '10s', backoffCoefficient: 2, maximumAttempts: 4 };

/**
 * Calls to peers, Globus and a SneakerNet drive (which may be away for days): clone.retry's
 * backoff, bounded by the call's scheduleToCloseTimeout, clone.giveUpAfter (7 days by default),
 * which every call with this policy must set.
 */
export function untilGiveUp(retry: { initialInterval: number; maximumInterval: number }): RetryPolicy {
  return { initialInterval: retry.initialInterval, maximumInterval: retry.maximumInterval, backoffCoefficient: 2 };
}

/** Polling a Globus task: the activity throws while the task runs, so the retry is the poll cadence; bounded by scheduleToCloseTimeout like untilGiveUp. */
export function pollEvery(intervalMs: number): RetryPolicy {
  return { initialInterval: intervalMs, maximumInterval: intervalMs, backoffCoefficient: 1 };
}
