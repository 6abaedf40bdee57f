/**
 * One file arriving from another Librarian (a network clone, or a SneakerNet drive):
 *
 *   wait     for the data: the source says STAGED (or reports failure); if nothing is heard for
 *            clone.receiveTimeout, ask the source whether the transfer still comes;
 *   staged   record that the data is in staging (this workflow is the one writer of STAGED);
 *   verify   size and checksum of the staged data; a mismatch is never catalogued: the
 *            transfer fails and the source is told (FAILED), so it offers the file again;
 *   commit   into the store, File + Instance keeping the original uploader and creation time;
 *   confirm  clone/complete on the source, retried until it acknowledges, even through an
 *            outage of days.
 */
import { ActivityFailure, condition, defineSignal, getExternalWorkflowHandle, isCancellation, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeletionPolicyName } from '../domain/ingest';
import { describeFailure, failureDetails } from './failures';
import { BEST_EFFORT, CATALOG_UNTIL_IT_ANSWERS, DISK_WORK, untilGiveUp } from './retries';
import { PHASE } from './searchAttributes';

export interface ReceiveCloneInput {
  transferId: number;
  source: string;
  receiveTimeoutMs: number;
  heartbeatTimeoutMs: number;
  retry: { initialInterval: number; maximumInterval: number };
  giveUpAfterMs: number;
  deletionPolicy: DeletionPolicyName;
  /** The data is already in staging (SneakerNet ingest): skip waiting for it. */
  staged?: boolean;
  /** How the data came, recorded with STAGED (e.g. "sneakernet"). */
  method?: string;
  /** Workflow to tell (signal entryDone) once the file is committed or rejected, before confirming. */
  notify?: string;
  /** The source did not say when the file was created (a v2 peer): ask its search/file before committing. */
  askCreateTime?: boolean;
}

/** The part of the input that comes from configuration. */
export type ReceiveSettings = Omit<ReceiveCloneInput, 'transferId' | 'source' | 'staged' | 'method' | 'notify' | 'askCreateTime'>;

export interface EntryDone {
  transferId: number;
  outcome: 'done' | 'rejected' | 'failed';
  reason?: string;
}
export const entryDoneSignal = defineSignal<[EntryDone]>('entryDone');

export const stagedSignal = defineSignal('staged');
export const failedSignal = defineSignal<[string]>('failed');

export async function receiveClone(input: ReceiveCloneInput) {
  const source = proxyActivities<Activities>({ startToCloseTimeout: '2m', heartbeatTimeout: input.heartbeatTimeoutMs, scheduleToCloseTimeout: input.giveUpAfterMs, retry: untilGiveUp(input.retry) });
  // Verifying and committing: a filesystem error that waiting cannot mend fails at once, others
  // after about two minutes of retries; either way the transfer fails and the source is told.
  const long = proxyActivities<Activities>({ startToCloseTimeout: '12h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: DISK_WORK });
  const local = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: CATALOG_UNTIL_IT_ANSWERS });
  const setPhase = (p: string) => upsertSearchAttributes([{ key: PHASE, value: p }]);
  const tell = async (done: Omit<EntryDone, 'transferId'>) => {
    if (input.notify) await getExternalWorkflowHandle(input.notify).signal(entryDoneSignal, { transferId: input.transferId, ...done });
  };

  let staged = input.staged ?? false;
  let failed: string | undefined;
  setHandler(stagedSignal, () => {
    staged = true;
  });
  setHandler(failedSignal, (reason) => {
    failed ??= reason;
  });

  setPhase('waiting-for-data');
  while (!staged && failed === undefined) {
    if (await condition(() => staged || failed !== undefined, input.receiveTimeoutMs)) break;
    const mine = await local.incomingStatus(input.transferId);
    if (mine === 'STAGED') staged = true;
    else if (mine === 'FAILED' || mine === 'CANCELLED' || mine === 'COMPLETED') failed = `transfer is ${mine}`;
    else {
      const theirs = await source.askSourceStatus(input.transferId);
      if (theirs === 'STAGED') staged = true;
      else if (theirs !== 'INITIATED' && theirs !== 'ONGOING') {
        failed = `${input.source} no longer sends it (its status: ${theirs ?? 'unknown'})`;
      }
    }
  }
  if (failed !== undefined && !staged) {
    await local.failIncoming(input.transferId, failed, 409);
    setPhase('failed');
    await tell({ outcome: 'failed', reason: failed });
    return { transferId: input.transferId, outcome: 'failed', reason: failed };
  }

  await local.markIncomingStaged(input.transferId, input.method);
  setPhase('verifying');
  let verdict: Awaited<ReturnType<Activities['verifyIncoming']>>;
  let storeId = 0;
  try {
    verdict = await long.verifyIncoming(input.transferId);
    if (verdict.ok) {
      setPhase('committing');
      if (input.askCreateTime) {
        // Best effort: without an answer the file is catalogued with the time it arrived.
        await proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: BEST_EFFORT })
          .learnCreateTime(input.transferId)
          .catch(() => undefined);
      }
      ({ storeId } = await long.commitIncoming(input.transferId, input.deletionPolicy));
    }
  } catch (e) {
    if (!(e instanceof ActivityFailure) || isCancellation(e)) throw e;
    // Not catalogued here (a read-only store, a file in the way, a disk that keeps failing): the
    // transfer fails and the source offers the file again later.
    const d = failureDetails(e);
    const reason = d ? d.reason : `Verifying and committing failed repeatedly: ${describeFailure(e.cause)}.`;
    await local.failIncoming(input.transferId, reason, d?.status ?? 503);
    setPhase('failed');
    await tell({ outcome: 'failed', reason });
    await source.notifySourceFailed(input.transferId, reason);
    return { transferId: input.transferId, outcome: 'failed', reason };
  }
  if (!verdict.ok) {
    await local.failIncoming(input.transferId, verdict.reason!, verdict.status!);
    setPhase('rejected');
    await tell({ outcome: 'rejected', reason: verdict.reason });
    await source.notifySourceFailed(input.transferId, verdict.reason!);
    return { transferId: input.transferId, outcome: 'rejected', reason: verdict.reason };
  }
  await tell({ outcome: 'done' });
  setPhase('confirming');
  await source.notifySourceComplete(input.transferId, storeId);
  setPhase('done');
  return { transferId: input.transferId, outcome: 'done', storeId };
}

export type TellSourceInput = {
  retry: { initialInterval: number; maximumInterval: number };
  giveUpAfterMs: number;
  heartbeatTimeoutMs: number;
} & ({ kind: 'present'; source: string; sourceTransferId: number; storeId: number } | { kind: 'failed'; transferId: number; reason: string });

/**
 * Tells a source, retrying until it answers (it may be down for days), that a file it sent is
 * already here (clone/complete), or that its copy failed here (checkin/update FAILED).
 */
export async function tellSource(input: TellSourceInput) {
  const source = proxyActivities<Activities>({
    startToCloseTimeout: '2m',
    heartbeatTimeout: input.heartbeatTimeoutMs,
    scheduleToCloseTimeout: input.giveUpAfterMs,
    retry: untilGiveUp(input.retry),
  });
  if (input.kind === 'present') await source.confirmPresentToSource(input.source, input.sourceTransferId, input.storeId);
  else await source.notifySourceFailed(input.transferId, input.reason);
}
