/**
 * One batch of files pushed to a peer (inventory §5.1), as one durable flow:
 *
 *   stage      clone/batch_stage on the destination (per-item results: files it already has
 *              become RemoteInstances at once, refused ones are failed and offered again later);
 *   announce   checkin/update ONGOING;
 *   transfer   local copy, or a Globus task (submission id fetched once, then submit, then poll);
 *   staged     checkin/update STAGED: the destination verifies and commits each file;
 *   confirm    wait for its clone/complete callbacks (RemoteInstances); when they are late, ask
 *              it with checkin/status;
 *   check      re-verify our copy of any file it rejected as damaged on arrival, so a corrupt
 *              source is found, taken out of use and repaired rather than offered again.
 *
 * An item whose source copy turns out lost or unreadable fails on its own (recorded as a finding,
 * and repaired); the rest of the batch goes on.
 *
 * Every call to the peer or to Globus is retried with capped exponential backoff for as long as
 * clone.giveUpAfter allows; an outage only delays the batch. Giving up is explicit: the files
 * are failed (and offered again in a later batch), and the decision is logged. A paused peer
 * holds the batch before its next step until it is resumed.
 */
import {
  ActivityFailure,
  CancellationScope,
  condition,
  isCancellation,
  defineQuery,
  defineSignal,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CloneBatchSettings } from '../domain/clone/planner';
import { describeFailure, failureDetails } from './failures';
import { BACKGROUND_DISK_WORK, BEST_EFFORT, CATALOG_UNTIL_IT_ANSWERS, pollEvery, untilGiveUp } from './retries';
import { PHASE } from './searchAttributes';

export interface CloneBatchInput {
  peer: string;
  batchId: string;
  settings: CloneBatchSettings;
  /**
   * Already staged at the peer before the workflow started (a repair resend answers the peer with
   * its new transfer id). Staging again would make a v2 peer fail that transfer and start another.
   */
  staged?: Awaited<ReturnType<Activities['stageCloneBatch']>>;
}

export interface CloneBatchState {
  phase: string;
  paused: boolean;
  method?: string;
  globusTaskId?: string;
  pending?: number;
}

export interface CloneBatchResult {
  batchId: string;
  outcome: 'done' | 'no-method' | 'transfer-failed' | 'gave-up';
  reason?: string;
  /** Our copies the peer rejected that turned out damaged here (now findings, awaiting repair). */
  damagedSources?: number;
}

/** Sent when the peer is paused (true) or resumed (false). */
export const pauseSignal = defineSignal<[boolean]>('pause');
/** Sent by the API when the destination reports on items (clone/complete, checkin/update). */
export const itemsChangedSignal = defineSignal('itemsChanged');
export const batchStateQuery = defineQuery<CloneBatchState>('state');

export async function cloneBatch({ peer, batchId, settings, staged: stagedBefore }: CloneBatchInput): Promise<CloneBatchResult> {
  const peerCalls = proxyActivities<Activities>({ startToCloseTimeout: '2m', heartbeatTimeout: settings.heartbeatTimeoutMs, scheduleToCloseTimeout: settings.giveUpAfterMs, retry: untilGiveUp(settings.retry) });
  const copying = proxyActivities<Activities>({ startToCloseTimeout: '24h', heartbeatTimeout: settings.heartbeatTimeoutMs, scheduleToCloseTimeout: settings.giveUpAfterMs, retry: untilGiveUp(settings.retry) });
  const polling = proxyActivities<Activities>({
    startToCloseTimeout: settings.pollIntervalMs * (settings.fatalFaultPolls + 1) + 120_000,
    heartbeatTimeout: Math.max(settings.pollIntervalMs * 2, settings.heartbeatTimeoutMs),
    scheduleToCloseTimeout: settings.giveUpAfterMs,
    retry: pollEvery(settings.pollIntervalMs),
  });
  const local = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: CATALOG_UNTIL_IT_ANSWERS });
  const hashing = proxyActivities<Activities>({ startToCloseTimeout: '24h', heartbeatTimeout: settings.heartbeatTimeoutMs, retry: BACKGROUND_DISK_WORK });
  // Clean-up after a cancellation: a few quick tries, so a peer or Globus that is down cannot hold it.
  const cleanup = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: BEST_EFFORT });

  const state: CloneBatchState = { phase: 'starting', paused: false };
  let changes = 0;
  const setPhase = (phase: string) => {
    state.phase = phase;
    upsertSearchAttributes([{ key: PHASE, value: state.paused ? `paused (${phase})` : phase }]);
  };
  setHandler(batchStateQuery, () => state);
  setHandler(pauseSignal, (paused) => {
    state.paused = paused;
    setPhase(state.phase);
  });
  setHandler(itemsChangedSignal, () => {
    changes++;
  });
  const step = async (phase: string) => {
    setPhase(phase);
    await condition(() => !state.paused);
    setPhase(phase);
  };

  let lostSources = 0;
  const confirm = async (): Promise<CloneBatchResult> => {
    let pending = await local.pendingCloneItems(batchId);
    while (pending.length > 0) {
      state.pending = pending.length;
      const seen = changes;
      const heard = await condition(() => changes !== seen, settings.callbackWaitMs);
      if (heard) {
        // Callbacks come in bursts: gather them before looking.
        await sleep(1000);
        pending = await local.pendingCloneItems(batchId);
      } else {
        await condition(() => !state.paused);
        pending = (await peerCalls.reconcileCloneBatch(batchId)).pending;
      }
    }
    state.pending = 0;
    // Files the destination found damaged on arrival: is our own copy the damaged one?
    setPhase('checking-rejected');
    const rejected = await hashing.verifyRejectedSources(batchId);
    if (lostSources + rejected.damaged > 0) await local.startAwaitingRepairs();
    setPhase('done');
    return { batchId, outcome: 'done', ...(rejected.damaged ? { damagedSources: rejected.damaged } : {}) };
  };

  try {
    state.paused = !(await local.peerTransfersEnabled(peer));
    await step('staging');
    const staged = stagedBefore ?? (await peerCalls.stageCloneBatch(batchId));
    if (staged.staged.length > 0) {
      const method = settings.methods.find((m) => (m === 'local' ? staged.localUsable : settings.globusEnabled && !!staged.methods.globus));
      if (!method) {
        await local.abandonCloneBatch(batchId, `No transfer method in common with ${peer}: it offers ${Object.keys(staged.methods).join(', ') || 'none'}, we use ${settings.methods.join(', ')}${staged.methods.local && !staged.localUsable ? ' (its staging area is not writable from here)' : ''}.`);
        setPhase('failed');
        return { batchId, outcome: 'no-method' };
      }
      state.method = method;
      await step('announcing');
      await peerCalls.setCloneStatusOnPeer(batchId, 'ONGOING', method);
      await step('transferring');
      const files = staged.staged.length;
      if (method === 'local') {
        const started = new Date().toISOString();
        const r = await copying.copyCloneBatchLocally(batchId);
        lostSources += r.lost;
        await local.recordCloneTransfer({ batchId, method, taskId: `local-${batchId}`, start: started, end: new Date().toISOString(), bytes: r.bytes, files });
      } else {
        const submissionId = await peerCalls.globusSubmissionId();
        const { taskId, lost } = await peerCalls.globusSubmit(batchId, submissionId, staged.methods.globus!.endpointId, staged.methods.globus!.root);
        lostSources += lost;
        // No task: every source was found lost, and those items have failed on their own.
        if (taskId === null) {
          setPhase('waiting-for-peer');
          return await confirm();
        }
        state.globusTaskId = taskId;
        setPhase('polling');
        const outcome = await polling.globusPoll(taskId, settings.fatalFaultPolls, settings.pollIntervalMs);
        if (outcome.status !== 'SUCCEEDED') {
          if (outcome.status === 'FATAL_FAULT') await peerCalls.globusCancel(taskId);
          await local.abandonCloneBatch(batchId, outcome.reason);
          setPhase('failed');
          return { batchId, outcome: 'transfer-failed', reason: outcome.reason };
        }
        await local.recordCloneTransfer({
          batchId,
          method,
          taskId,
          sourceEndpointId: outcome.sourceEndpointId ?? undefined,
          destinationEndpointId: outcome.destinationEndpointId ?? undefined,
          start: outcome.requestTime ?? new Date().toISOString(),
          end: outcome.completionTime ?? new Date().toISOString(),
          bytes: outcome.bytes,
          files,
        });
      }
      await step('staged');
      await peerCalls.setCloneStatusOnPeer(batchId, 'STAGED');
    }
    setPhase('waiting-for-peer');
    return await confirm();
  } catch (e) {
    if (isCancellation(e)) {
      // Cancelled by an operator (librarian clone cancel, peers remove): stop the Globus task,
      // fail the unfinished files (offered again later) and tell the destination, then end as cancelled.
      await CancellationScope.nonCancellable(async () => {
        if (state.globusTaskId && state.phase === 'polling') await cleanup.globusCancel(state.globusTaskId).catch(() => undefined);
        await cleanup.abandonCloneBatch(batchId, 'cancelled by an operator', false);
      });
      setPhase('cancelled');
      throw e;
    }
    if (!(e instanceof ActivityFailure)) throw e;
    const d = failureDetails(e);
    const reason = d ? d.reason : `${describeFailure(e)} (gave up after ${Math.round(settings.giveUpAfterMs / 1000)} s of retries)`;
    await local.abandonCloneBatch(batchId, reason);
    setPhase('gave-up');
    return { batchId, outcome: 'gave-up', reason };
  }
}
