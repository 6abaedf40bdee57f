/**
 * Scheduled per destination (Schedule send-clones/<librarian>/<peer>): choose files the peer
 * lacks and start one cloneBatch workflow per batch, within the in-flight caps. Choosing and
 * recording happen in one step keyed by this run, so a retry or an overlapping run cannot send
 * a file twice; the batch's workflow id is its batch id.
 */
import { ParentClosePolicy, proxyActivities, startChild, upsertSearchAttributes, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { cloneBatch } from './cloneBatch';
import { BYTES, FILE_COUNT, LIBRARIAN, PEER, PHASE } from './searchAttributes';

export interface SendClonesInput {
  peer: string;
}

export async function sendClones({ peer }: SendClonesInput) {
  const db = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 20 } });
  const st = await db.cloneSchedulingState(peer);
  const free = Math.min(st.maxBatchesPerPeer - st.inFlightPeer, st.maxBatchesTotal - st.inFlightTotal);
  if (!st.enabled || free <= 0) {
    const waiting = !st.enabled ? 'peer paused' : `in-flight cap (${st.inFlightPeer}/${st.maxBatchesPerPeer} to ${peer}, ${st.inFlightTotal}/${st.maxBatchesTotal} in all)`;
    upsertSearchAttributes([{ key: PHASE, value: `waiting: ${waiting}` }]);
    return { started: 0, waiting };
  }
  const batches = await db.planCloneBatches(peer, workflowInfo().runId, free);
  const librarian = workflowInfo().typedSearchAttributes.get(LIBRARIAN);
  for (const b of batches) {
    try {
      await startChild(cloneBatch, {
        workflowId: b.batchId,
        args: [{ peer, batchId: b.batchId, settings: st.batch }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: [
          ...(librarian ? [{ key: LIBRARIAN, value: librarian }] : []),
          { key: PEER, value: peer },
          { key: FILE_COUNT, value: b.files },
          { key: BYTES, value: b.bytes },
          { key: PHASE, value: 'starting' },
        ],
      });
    } catch (e) {
      // Already started by an earlier attempt of this run: that is the point of the id.
      if ((e as Error).name !== 'WorkflowExecutionAlreadyStartedError') throw e;
    }
  }
  const files = batches.reduce((s, b) => s + b.files, 0);
  upsertSearchAttributes([{ key: PHASE, value: batches.length ? `started ${batches.length} batches` : 'nothing to send' }]);
  return { started: batches.length, files, batchIds: batches.map((b) => b.batchId) };
}
