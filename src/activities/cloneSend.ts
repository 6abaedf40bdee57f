import { Context } from '@temporalio/activity';
import type { Domain } from '../domain';
import type { TransferRecordInput } from '../domain/clone/sender';
import { beating, run, withHeartbeat } from './support';

/** Dates travel through Temporal as strings. */
export type TransferRecordWire = Omit<TransferRecordInput, 'start' | 'end'> & { start: string; end: string };

export function cloneSendActivities(domain: Domain) {
  const { clonePlanner, cloneSender, globus } = domain;
  return {
    cloneSchedulingState: (peer: string) => run(() => clonePlanner.schedulingState(peer)),
    planCloneBatches: (peer: string, runKey: string) => run(() => clonePlanner.planBatches(peer, runKey)),
    peerTransfersEnabled: (peer: string) => run(() => domain.peers.transfersEnabled(peer)),
    stageCloneBatch: (batchId: string) => beating(() => cloneSender.stageBatch(batchId)),
    setCloneStatusOnPeer: (batchId: string, to: 'ONGOING' | 'STAGED', method?: string) => beating(() => cloneSender.setPeerStatus(batchId, to, method)),
    copyCloneBatchLocally: (batchId: string) => withHeartbeat((h) => cloneSender.copyLocally(batchId, h)),
    recordCloneTransfer: (rec: TransferRecordWire) => run(() => cloneSender.recordTransfer({ ...rec, start: new Date(rec.start), end: new Date(rec.end) })),
    pendingCloneItems: (batchId: string) => run(() => domain.transfers.outgoing.pending(batchId)),
    reconcileCloneBatch: (batchId: string) => beating(() => cloneSender.reconcile(batchId)),
    verifyRejectedSources: (batchId: string) => withHeartbeat((h) => cloneSender.verifyRejected(batchId, h)),
    abandonCloneBatch: (batchId: string, reason: string, alert = true) => run(() => cloneSender.abandon(batchId, reason, alert)),

    globusSubmissionId: () => beating(() => globus.submissionId()),
    globusSubmit: (batchId: string, submissionId: string, destinationEndpointId: string, destinationRoot: string) =>
      beating(() => cloneSender.submitToGlobus(batchId, submissionId, destinationEndpointId, destinationRoot)),
    /** Throws while the task runs: the retry policy is the polling cadence. */
    globusPoll: (taskId: string, fatalFaultPolls: number, pollIntervalMs: number) =>
      run(() =>
        globus.watch(taskId, {
          fatalFaultPolls,
          intervalMs: pollIntervalMs,
          onPoll: (t) => Context.current().heartbeat({ status: t.status, faults: t.faults }),
          signal: Context.current().cancellationSignal,
        }),
      ),
    globusCancel: (taskId: string) => beating(() => globus.cancel(taskId)),
  };
}
