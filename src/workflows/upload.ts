/**
 * One upload, from stage to catalogue. The workflow id is derived from the destination name
 * (upload/<librarian>/<name>), so a repeated or concurrent stage of the same name reaches this
 * workflow instead of starting a second one.
 *
 *   stage (update)   record an IncomingTransfer, pick a store, create the staging directory;
 *                    a new stage of the same name (same account, or an admin) supersedes the stale attempt;
 *   ...              the client copies or streams the bytes in (touch signals keep it alive);
 *   commit (update)  one step: verify size and checksum, move into the store, File + Instance;
 *                    the update returns the verdict;
 *   timeout          never committed: the transfer fails and staging is removed;
 *   cancel           an operator cancels it (Web UI, `temporal workflow cancel`) before its commit:
 *                    the transfer ends CANCELLED and staging is removed; a commit under way
 *                    finishes and its verdict stands.
 *
 * A stage that arrives while the upload ends (timed out, cancelled) is refused, 409 or 410: a
 * transfer staged then would outlive the workflow, open for good.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  defineSignal,
  defineUpdate,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Catalogued, DeletionPolicyName } from '../domain/ingest';
import type { StageResult } from '../domain/uploads/uploads';
import { describeFailure, failureDetails, librarianFailure, rethrowForCaller, type FailureDetails } from './failures';
import { CATALOG_UNTIL_IT_ANSWERS, DISK_WORK, STAGING, STAGING_GIVE_UP } from './retries';
import { BYTES, FILE_NAME, PHASE } from './searchAttributes';

export interface UploadInput {
  destination: string;
  stagingTimeoutMs: number;
  heartbeatTimeoutMs: number;
}

export interface StageInput {
  uploadSize: number;
  /** Absent: declared with the commit (the API records it before asking this workflow to commit). */
  uploadChecksum?: string;
  uploadName: string;
  uploader: string;
  createdBy: string;
  /** The staging account is an ADMIN (absent in stages sent before this field existed). */
  createdByAdmin?: boolean;
}

export interface CommitInput {
  transferId: number;
  deletionPolicy: DeletionPolicyName;
}

export type UploadVerdict =
  | { ok: true; transferId: number; result: Catalogued }
  | { ok: false; transferId?: number; status: number; reason: string; suggestedRemedy: string };

/**
 * Verify and commit run as one activity since this change (one workflow task, one activity and
 * one search-attribute upsert fewer per upload); uploads whose history predates it replay and
 * finish with the two steps apart.
 */
const ONE_COMMIT_STEP = 'verify-and-commit-in-one-step';

/** For a stage that reaches an upload as it ends: the next stage of the name starts a new upload. */
const ENDING_REMEDY = 'Stage it again in a moment: once this upload has ended, a new stage of the name starts a new one.';

/** The verdict of an upload an operator cancelled before its commit (HTTP 410: gone for good). */
const CANCELLED = {
  status: 410,
  reason: 'The upload was cancelled by an operator before it was committed; staging removed.',
  suggestedRemedy: 'Stage the upload again and commit it.',
};

export const stageUpdate = defineUpdate<StageResult, [StageInput]>('stage');
export const commitUpdate = defineUpdate<Catalogued, [CommitInput]>('commit');
/** Sent by the API while data arrives, so a slow upload is not mistaken for an abandoned one. */
export const touchSignal = defineSignal('touch');

export async function upload(input: UploadInput): Promise<UploadVerdict | { ok: false; status: number; reason: string; suggestedRemedy: string }> {
  const quick = proxyActivities<Activities>({
    startToCloseTimeout: '30s',
    // The stage call holds an HTTP request open: give up after two minutes rather than hang.
    scheduleToCloseTimeout: STAGING_GIVE_UP,
    retry: STAGING,
  });
  // Ending the transfer waits out an outage of the catalog (see retries.ts).
  const cleanup = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: CATALOG_UNTIL_IT_ANSWERS });
  // Verifying and committing: a filesystem error that waiting cannot mend fails at once; others
  // are retried for about two minutes (the client is waiting for the verdict).
  const long = proxyActivities<Activities>({ startToCloseTimeout: '12h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: DISK_WORK });

  let attempt: StageResult | undefined;
  const superseded = new Map<number, number>();
  let commit: CommitInput | undefined;
  let verdict: UploadVerdict | undefined;
  let staging = false;
  let stagesDone = 0;
  let touched = Date.now();

  const setPhase = (p: string) => upsertSearchAttributes([{ key: PHASE, value: p }]);

  setHandler(touchSignal, () => {
    touched = Date.now();
  });

  setHandler(stageUpdate, async (req) => {
    try {
      await condition(() => !staging);
    } catch (e) {
      // Arrived while an operator's cancel ends this upload: say so, rather than pass on
      // Temporal's cancellation.
      if (isCancellation(e)) throw librarianFailure(410, `The upload of "${input.destination}" is being cancelled by an operator.`, ENDING_REMEDY);
      throw e;
    }
    staging = true;
    try {
      if (verdict) {
        throw librarianFailure(409, `The upload of "${input.destination}" has just ended: ${verdict.ok ? 'committed' : verdict.reason}`, ENDING_REMEDY);
      }
      if (commit) {
        throw librarianFailure(409, `Upload of "${input.destination}" is already being committed.`, 'Wait for the commit to finish; if it fails, stage again.');
      }
      // Not cut short by a cancel: the transfer it creates must be known, to be cancelled in turn.
      const result = await CancellationScope.nonCancellable(() => quick.stageUpload({ ...req, destination: input.destination, workflowId: workflowInfo().workflowId, attemptId: uuid4() }));
      if (attempt && attempt.transferId !== result.transferId) superseded.set(attempt.transferId, result.transferId);
      attempt = result;
      touched = Date.now();
      // One upsert, not two: each is an event in the history and a write of the visibility record.
      upsertSearchAttributes([
        { key: PHASE, value: 'staged' },
        { key: BYTES, value: req.uploadSize },
      ]);
      return result;
    } catch (e) {
      rethrowForCaller(e);
    } finally {
      staging = false;
      stagesDone++;
    }
  });

  setHandler(
    commitUpdate,
    async (req) => {
      commit ??= req;
      // Every way the upload ends sets a verdict, a cancel included: its caller gets that answer.
      await CancellationScope.nonCancellable(() => condition(() => verdict !== undefined));
      if (verdict!.ok) return verdict!.result;
      throw librarianFailure(verdict!.status, verdict!.reason, verdict!.suggestedRemedy);
    },
    {
      validator: (req) => {
        const newer = superseded.get(req.transferId);
        if (newer !== undefined) {
          throw librarianFailure(409, `Transfer ${req.transferId} was superseded by transfer ${newer}.`, `Commit transfer ${newer}, the latest stage of this name.`);
        }
        if (!attempt || attempt.transferId !== req.transferId) {
          throw librarianFailure(404, `No staged upload with transfer id ${req.transferId}.`, 'Use the transfer_id returned by upload/stage.');
        }
      },
    },
  );

  // The API sets the name when it starts the workflow (no upsert event, no extra write of the
  // visibility record); a workflow started without it gets it here.
  if (workflowInfo().typedSearchAttributes.get(FILE_NAME) === undefined) upsertSearchAttributes([{ key: FILE_NAME, value: input.destination }]);

  try {
    // The stage that started this workflow arrives with it; if it was refused, there is nothing to do.
    await condition(() => attempt !== undefined || (stagesDone > 0 && !staging));
    if (!attempt) {
      await condition(allHandlersFinished);
      // Failed, not completed, so the Web UI and workflow lists show it; the caller had its answer.
      throw librarianFailure(400, 'The stage request was refused.', 'See the error returned to the stage call.', {}, false);
    }

    while (!verdict) {
      const seen = touched;
      const ready = await condition(() => commit !== undefined || touched !== seen, Math.max(seen + input.stagingTimeoutMs - Date.now(), 1));
      if (commit) {
        // A cancel does not interrupt a commit: the client is waiting for its verdict, and the
        // data may be half moved into the store.
        const { deletionPolicy } = commit;
        verdict = await CancellationScope.nonCancellable(() => verifyAndCommit(attempt!.transferId, deletionPolicy));
      } else if (!ready && !staging) {
        const reason = `Not committed within ${Math.round(input.stagingTimeoutMs / 1000)} s of the last activity; staging removed.`;
        // Decided before the cleanup runs, and the cleanup not cut short by a cancel: a stage that
        // arrives meanwhile is refused (a transfer it made would outlive this workflow, open for
        // good), and the transfer ends FAILED whatever comes after.
        const transferId = attempt.transferId;
        verdict = { ok: false, transferId, status: 408, reason, suggestedRemedy: 'Stage the upload again and commit it.' };
        await CancellationScope.nonCancellable(() => cleanup.failUpload(transferId, reason, 408));
      }
    }
  } catch (e) {
    if (isCancellation(e)) await endCancelled();
    throw e;
  }
  setPhase(verdict.ok ? 'completed' : 'failed');
  // A cancel that came during the commit is too late: the verdict stands and is delivered.
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  // A refused or failed upload ends as a failed workflow (its reason as the failure), so the Web
  // UI and workflow lists show it; the commit's caller had the same answer from the update.
  if (!verdict.ok) throw librarianFailure(verdict.status, verdict.reason, verdict.suggestedRemedy, { transfer_id: verdict.transferId }, false);
  return verdict;

  /**
   * Cancelled before any commit began: without this the transfer would stay open for good (no
   * timer is left to end it), holding its staging space and its name.
   */
  async function endCancelled(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      // A stage under way when the cancel came may yet create a transfer: wait for its answer.
      await condition(() => !staging);
      if (attempt && !verdict) {
        await cleanup.cancelUpload(attempt.transferId, CANCELLED.reason, CANCELLED.status);
        verdict = { ok: false, transferId: attempt.transferId, ...CANCELLED };
      }
      setPhase('cancelled');
      await condition(allHandlersFinished);
    });
  }

  /** Every way this ends is a verdict: the transfer fails (staging removed) unless it is catalogued. */
  async function verifyAndCommit(transferId: number, deletionPolicy: DeletionPolicyName): Promise<UploadVerdict> {
    let d: FailureDetails;
    try {
      if (patched(ONE_COMMIT_STEP)) {
        setPhase('committing');
        const outcome = await long.verifyAndCommitUpload(transferId, deletionPolicy);
        if (outcome.ok) return { ok: true, transferId, result: outcome.result };
        d = { status: outcome.status, reason: outcome.reason, suggested_remedy: outcome.suggestedRemedy };
      } else {
        setPhase('verifying');
        const checked = await long.verifyUpload(transferId);
        if (checked.ok) {
          setPhase('committing');
          return { ok: true, transferId, result: await long.commitUpload(transferId, deletionPolicy) };
        }
        d = { status: checked.status!, reason: checked.reason!, suggested_remedy: checked.suggestedRemedy! };
      }
    } catch (e) {
      if (!(e instanceof ActivityFailure) || isCancellation(e)) throw e;
      d = failureDetails(e) ?? {
        status: 503,
        reason: `The upload could not be verified and committed; the last of repeated attempts failed with: ${describeFailure(e.cause)}.`,
        suggested_remedy: 'Stage and send the upload again later; if it fails again, operators should check the store and the worker log.',
      };
    }
    await cleanup.failUpload(transferId, d.reason, d.status);
    return { ok: false, transferId, status: d.status, reason: d.reason, suggestedRemedy: d.suggested_remedy };
  }
}
