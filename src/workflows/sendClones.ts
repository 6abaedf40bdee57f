/**
 * Scheduled per destination (Schedule send-clones/<librarian>/<peer>): choose files the peer
 * lacks and start one cloneBatch workflow per batch, within the in-flight caps. Choosing and
 * recording happen in one step keyed by this run, so a retry or an overlapping run cannot send
 * a file twice; the batch's workflow id is its batch id.
 */
import { ParentClosePolicy, proxyActivities, startChild, upsertSearchAttributes, workflowInfo, WorkflowIdReusePolicy } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { cloneBatch } from './cloneBatch';
import { CATALOG_FOR_MINUTES } from './retries';
import { BYTES, FILE_COUNT, LIBRARIAN, PEER, PHASE } from './searchAttributes';

export interface SendClonesInput {
  peer: string;
}

export async function sendClones({ peer }: SendClonesInput) {
  const db = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: CATALOG_FOR_MINUTES });
  const st = await db.cloneSchedulingState(peer);
  // The caps are checked where the batches are recorded, under one lock (see planBatches).
  const plan = st.enabled ? await db.planCloneBatches(peer, workflowInfo().runId) : { batches: [], waiting: 'peer paused' };
  if (plan.waiting) {
    upsertSearchAttributes([{ key: PHASE, value: `waiting: ${plan.waiting}` }]);
    return { started: 0, waiting: plan.waiting };
  }
  const batches = plan.batches;
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
