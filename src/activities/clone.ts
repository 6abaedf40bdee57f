import { Context, sleep } from '@temporalio/activity';
import type { Services } from '../services';
import { callPeer } from '../services/cloneSend';
import { STATUS_VALUE, statusName, type TransferStatus } from '../services/transferStatus';
import type { DeletionPolicyName } from '../services/uploads';
import { isLibrarianError } from '../errors';
import { beating, run, withHeartbeat } from './support';

export type GlobusOutcome =
  | { status: 'SUCCEEDED'; bytes: number; files: number; requestTime: string | null; completionTime: string | null; sourceEndpointId: string | null; destinationEndpointId: string | null }
  | { status: 'FAILED'; reason: string }
  | { status: 'FATAL_FAULT'; reason: string };

export function createCloneActivities(services: Services) {
  const { cloneSend, globus, config } = services;
  return {
    // ---- sending ----
    async cloneSchedulingState(peer: string) {
      return run(async () => {
        const enabled = await cloneSend.peerEnabled(peer);
        return {
          enabled,
          batch: {
            methods: config.clone.methods,
            globusEnabled: config.globus.enabled,
            retry: config.clone.retry,
            giveUpAfterMs: config.clone.giveUpAfter,
            callbackWaitMs: config.clone.callbackWait,
            pollIntervalMs: config.globus.pollInterval,
            fatalFaultPolls: config.globus.fatalFaultPolls,
            heartbeatTimeoutMs: config.workflows.heartbeatTimeout,
          },
        };
      });
    },
    planCloneBatches: (peer: string, runKey: string) => run(() => cloneSend.planBatches(peer, runKey)),
    peerTransfersEnabled: (peer: string) => run(() => cloneSend.peerEnabled(peer)),
    stageCloneBatch: (batchId: string) => beating(() => cloneSend.stageBatch(batchId)),
    setCloneStatusOnPeer: (batchId: string, to: 'ONGOING' | 'STAGED', method?: string) => beating(() => cloneSend.setPeerStatus(batchId, to, method)),
    copyCloneBatchLocally: (batchId: string) => withHeartbeat((h) => cloneSend.copyLocally(batchId, h)),
    recordCloneTransfer: (rec: { batchId: string; method: string; taskId: string; sourceEndpointId?: string; destinationEndpointId?: string; start: string; end: string; bytes: number; files: number }) =>
      run(() => cloneSend.recordTransfer({ ...rec, start: new Date(rec.start), end: new Date(rec.end) })),
    pendingCloneItems: (batchId: string) => run(() => cloneSend.pending(batchId)),
    reconcileCloneBatch: (batchId: string) => beating(() => cloneSend.reconcile(batchId)),
    abandonCloneBatch: (batchId: string, reason: string) => run(() => cloneSend.abandon(batchId, reason)),

    // ---- Globus ----
    globusSubmissionId: () => beating(() => globus.submissionId()),
    globusSubmit: (batchId: string, submissionId: string, destinationEndpointId: string, destinationRoot: string) =>
      beating(async () => {
        const items = await cloneSend.globusItems(batchId, destinationRoot, (p) => globus.localPath(p));
        return globus.submit(submissionId, destinationEndpointId, items, `librarian ${batchId}`);
      }),
    /**
     * Throws while the task runs (the retry policy polls at the configured interval). A fault
     * whose code is fatal is watched over several polls inside this attempt before it is
     * believed: Globus keeps retrying faulted tasks, and many faults heal.
     */
    globusPoll: (taskId: string, fatalFaultPolls: number, pollIntervalMs: number): Promise<GlobusOutcome> =>
      run(async () => {
        for (let seen = 0; ; ) {
          const t = await globus.task(taskId);
          Context.current().heartbeat({ status: t.status, faults: t.faults });
          if (t.status === 'SUCCEEDED') {
            return { status: 'SUCCEEDED', bytes: t.bytesTransferred, files: t.filesTransferred, requestTime: t.requestTime, completionTime: t.completionTime, sourceEndpointId: t.sourceEndpointId, destinationEndpointId: t.destinationEndpointId };
          }
          if (t.status === 'FAILED') return { status: 'FAILED', reason: `Globus task ${taskId} failed: ${t.fatalError?.code ?? ''} ${t.fatalError?.description ?? ''}`.trim() };
          const fatal = t.faults > 0 ? (await globus.errorEvents(taskId)).find((e) => config.globus.fatalFaults.includes(e.code)) : undefined;
          if (!fatal) throw new Error(`Globus task ${taskId} is ${t.status}${t.niceStatus ? ` (${t.niceStatus})` : ''}.`);
          if (++seen >= fatalFaultPolls) return { status: 'FATAL_FAULT', reason: `Globus task ${taskId} keeps failing with ${fatal.code}: ${fatal.description}` };
          await sleep(pollIntervalMs);
        }
      }),
    globusCancel: (taskId: string) => beating(() => globus.cancel(taskId)),

    // ---- receiving ----
    verifyIncoming: (transferId: number) => withHeartbeat((h) => services.uploads.verify(transferId, h)),
    commitIncoming: (transferId: number, deletionPolicy: DeletionPolicyName) =>
      withHeartbeat(async (h) => {
        try {
          const r = await services.uploads.commit(transferId, deletionPolicy, h);
          return { storeId: (await services.db.instance.findUniqueOrThrow({ where: { id: r.instanceId } })).storeId };
        } catch (e) {
          // The same file arrived by another way meanwhile: the copy exists, that is what counts.
          if (!isLibrarianError(e) || e.status !== 409) throw e;
          const t = await services.uploads.get(transferId);
          const file = await services.db.file.findUnique({ where: { name: t.storePath }, include: { instances: { where: { available: true }, take: 1 } } });
          if (!file || file.checksum !== t.transferChecksum || !file.instances[0]) throw e;
          await services.uploads.fail(transferId, 'The file arrived by another transfer.', 409);
          return { storeId: file.instances[0].storeId };
        }
      }),
    failIncoming: (transferId: number, reason: string, status: number) => run(() => services.uploads.fail(transferId, reason, status)),
    incomingStatus: (transferId: number) => run(async () => (await services.uploads.get(transferId)).status),
    /** Tells the source its file arrived and where; retried until it acknowledges. */
    notifySourceComplete: (transferId: number, storeId: number) =>
      beating(async () => {
        const t = await services.uploads.get(transferId);
        const client = await services.peers.client(t.source);
        await callPeer(`clone/complete on ${t.source}`, () =>
          client.post('clone/complete', { source_transfer_id: t.sourceTransferId, destination_transfer_id: t.id, store_id: storeId }),
        );
      }),
    /** Tells the source this copy failed verification, so it offers the file again. */
    notifySourceFailed: (transferId: number, reason: string) =>
      beating(async () => {
        const t = await services.uploads.get(transferId);
        const client = await services.peers.client(t.source);
        const r = await callPeer(`checkin/update FAILED on ${t.source}`, () =>
          client.post<{ unmodified_source_transfer_ids: number[] }>('checkin/update', { source_transfer_ids: [t.sourceTransferId], destination_transfer_ids: [], new_status: STATUS_VALUE.FAILED, reason }),
        );
        return { acknowledged: !r.unmodified_source_transfer_ids.includes(t.sourceTransferId!) };
      }),
    /** The source's view of a transfer (for a clone whose data is late). */
    askSourceStatus: (transferId: number): Promise<TransferStatus | null> =>
      beating(async () => {
        const t = await services.uploads.get(transferId);
        const client = await services.peers.client(t.source);
        const r = await callPeer(`checkin/status on ${t.source}`, () =>
          client.post<{ source_transfer_status: Record<string, number | null> }>('checkin/status', { source_transfer_ids: [t.sourceTransferId], destination_transfer_ids: [] }),
        );
        const v = r.source_transfer_status[String(t.sourceTransferId)];
        return v === null || v === undefined ? null : (statusName(v) ?? null);
      }),
    markIncoming: (transferId: number, status: 'STAGED') =>
      run(async () => {
        await services.db.incomingTransfer.updateMany({ where: { id: transferId, status: { in: ['INITIATED', 'ONGOING'] } }, data: { status } });
      }),
  };
}
