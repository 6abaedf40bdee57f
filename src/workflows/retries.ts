/**
 * How long the workflows retry a failing step, by kind of step. Temporal retries an activity
 * unless its failure is non-retryable: a LibrarianError 4xx, or a filesystem error that waiting
 * cannot mend (read-only, permissions, a name too long, a file in the way, a full disk; see
 * activities/support.ts), which fails the step at once. These policies bound the rest.
 *
 * Calls to peers and Globus are not here: they retry with clone.retry for clone.giveUpAfter
 * (outages of days are waited out), set where the workflows call them.
 */
import type { RetryPolicy } from '@temporalio/common';

/**
 * Hashing, copying and moving data on our disks while a client waits (an upload's commit, a
 * received clone): a passing I/O error or a killed worker is retried for about two minutes
 * (8 attempts, 1 s doubling to 1 min), then the step fails and the transfer with it.
 */
export const DISK_WORK: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 8 };

/**
 * The same work in the background (audits, repairs, deletions, checking a clone batch's sources):
 * about an hour and a half of retries (10 attempts, 10 s doubling to 10 min), then the run fails
 * with the reason, and its Schedule (or the operator) runs it again.
 */
export const BACKGROUND_DISK_WORK: RetryPolicy = { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '10m', maximumAttempts: 10 };

/**
 * Steps that only read and write the catalog: retried until the database answers (an outage of
 * the database is waited out, like one of Temporal); their permanent errors are 4xx, never retried.
 */
export const CATALOG: RetryPolicy = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' };
