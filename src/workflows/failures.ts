// Shared by workflows, activities and the API: how a LibrarianError (HTTP status, reason,
// remedy) travels through Temporal as an ApplicationFailure. Imports only @temporalio/common,
// so it is safe in the workflow sandbox.
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';

export const LIBRARIAN_ERROR = 'LibrarianError';

export interface FailureDetails {
  status: number;
  reason: string;
  suggested_remedy: string;
  [k: string]: unknown;
}

/** As a failure, retried by Temporal only when `retryable` (by default: 5xx). */
export function librarianFailure(status: number, reason: string, suggestedRemedy: string, extra: Record<string, unknown> = {}, retryable = status >= 500): ApplicationFailure {
  return ApplicationFailure.create({
    type: LIBRARIAN_ERROR,
    message: reason,
    nonRetryable: !retryable,
    details: [{ status, reason, suggested_remedy: suggestedRemedy, ...extra } satisfies FailureDetails],
  });
}

/** The LibrarianError details inside a failure chain, if there are any. */
export function failureDetails(e: unknown): FailureDetails | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 10 && cur; i++) {
    if (cur instanceof ApplicationFailure && cur.type === LIBRARIAN_ERROR) return cur.details?.[0] as FailureDetails;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Re-throws an activity's LibrarianError from a workflow (e.g. out of an update handler); an
 * activity that failed otherwise (its retries spent) is a 503 saying what the last attempt met.
 */
export function rethrowForCaller(e: unknown): never {
  const d = failureDetails(e);
  if (d) throw librarianFailure(d.status, d.reason, d.suggested_remedy);
  if (e instanceof ActivityFailure) {
    throw librarianFailure(503, `The step failed repeatedly; the last attempt met: ${describeFailure(e.cause)}.`, 'Try again later; if it keeps failing, operators should check the stores and the worker log.');
  }
  throw e;
}



/** Every distinct message along a failure's cause chain, outermost first (for logs and reasons). */
export function describeFailure(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 10 && cur; i++) {
    const m = (cur as { message?: string }).message;
    if (m && !parts.includes(m)) parts.push(m);
    cur = (cur as { cause?: unknown }).cause;
  }
  return parts.join(': ');
}
