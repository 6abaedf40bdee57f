/**
 * Remote clones as the API sees them. Receiving: staging a batch starts one receiveClone workflow
 * per new transfer, and what the source reports reaches those workflows as signals. Sending: what
 * a destination reports wakes its batch workflows; `sendNow` runs a peer's sending step; `status`
 * is the operator's view of batches in flight.
 */
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Domain } from '../domain';
import type { BatchStageResult, CloneItem } from '../domain/clone/receiver';
import type { Transition } from '../domain/transfers/incoming';
import type { Principal } from '../domain/users/users';
import type { TransferStatus } from '../shared/transferStatus';
import type { checkin } from '../protocol';
import type { AnswerOf } from '../protocol/call';
import { batchStateQuery, itemsChangedSignal, type cloneBatch } from '../workflows/cloneBatch';
import { failedSignal, stagedSignal, type receiveClone, type ReceiveCloneInput, type ReceiveSettings } from '../workflows/receiveClone';
import { BYTES, FILE_COUNT, PEER, PHASE } from '../workflows/searchAttributes';
import type { sendClones } from '../workflows/sendClones';
import { conflict, notFound } from '../shared/errors';
import { pendingActivities } from './inspect';
import type { TemporalAccess } from './temporal';

/** How a received file is verified, committed and confirmed: the same for network clones and drives. */
export function receiveSettings(c: Pick<Config, 'clone' | 'workflows'>): ReceiveSettings {
  return {
    receiveTimeoutMs: c.clone.receiveTimeout,
    heartbeatTimeoutMs: c.workflows.heartbeatTimeout,
    retry: c.clone.retry,
    giveUpAfterMs: c.clone.giveUpAfter,
    deletionPolicy: c.clone.deletionPolicy,
  };
}

export class CloneFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  private receiveStart(transferId: number, source: string, askCreateTime = false) {
    return {
      taskQueue: this.temporal.taskQueue,
      workflowId: this.temporal.ids.receive(transferId),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ transferId, source, ...receiveSettings(this.domain.config), ...(askCreateTime ? { askCreateTime } : {}) }] as [ReceiveCloneInput],
      typedSearchAttributes: [this.temporal.librarian, { key: PEER, value: source }],
    };
  }

  // ---- receiving ----

  /** clone/batch_stage and clone/stage: stage the items, and start a receive workflow for each new transfer. */
  async stageIncoming(principal: Principal, source: string, items: CloneItem[], opts: { allOrNothing?: boolean; askCreateTime?: boolean; uploaderAsPeer?: boolean } = {}): Promise<BatchStageResult> {
    const r = await this.domain.cloneReceiver.batchStage(principal, source, items, opts);
    await this.tellReceivers(r.superseded.map((id) => ({ id, from: 'INITIATED', to: 'FAILED', changed: true })));
    if (r.created.length) {
      const client = await this.temporal.client();
      const queue = [...r.created];
      await Promise.all(
        Array.from({ length: Math.min(16, queue.length) }, async () => {
          for (let id = queue.shift(); id !== undefined; id = queue.shift()) await client.workflow.start<typeof receiveClone>('receiveClone', this.receiveStart(id, r.source, opts.askCreateTime));
        }),
      );
    }
    return r;
  }

  /** clone/staged: the source put the data in staging; the transfer's workflow records it and verifies. */
  async incomingStaged(principal: Principal, transferId: number): Promise<void> {
    const c = await this.domain.cloneReceiver.stagedBySource(principal, transferId);
    await this.tellReceivers([c]);
  }

  /** clone/fail: the source gave up on a transfer. */
  async incomingFailed(principal: Principal, transferId: number, reason: string): Promise<void> {
    const c = await this.domain.cloneReceiver.failedBySource(principal, transferId, reason);
    await this.tellReceivers([c]);
  }

  /**
   * Tells receive workflows their data is staged (signal-with-start: a workflow whose start was
   * lost is started now) or that the source gave up.
   */
  private async tellReceivers(changes: Transition[]): Promise<void> {
    const relevant = changes.filter((c) => c.changed && (c.to === 'STAGED' || c.to === 'FAILED' || c.to === 'CANCELLED'));
    if (relevant.length === 0) return;
    const client = await this.temporal.client();
    for (const c of relevant) {
      if (c.to === 'STAGED') {
        const t = await this.domain.transfers.incoming.get(c.id);
        await client.workflow.signalWithStart<typeof receiveClone, []>('receiveClone', { ...this.receiveStart(c.id, t.source), signal: stagedSignal, signalArgs: [] });
      } else {
        await this.temporal.signal(this.temporal.ids.receive(c.id), failedSignal, `the source set it ${c.to}`);
      }
    }
  }

  // ---- sending ----

  /** clone/complete: the destination catalogued a file; its batch looks again. */
  async outgoingCompleted(principal: Principal, transferId: number, remoteStoreId: number): Promise<{ fileName: string }> {
    const r = await this.domain.cloneCallbacks.complete(principal, transferId, remoteStoreId);
    await this.wakeBatches([r.batchId]);
    return { fileName: r.fileName };
  }

  /** checkin/update: a peer reports on our outgoing transfers, our incoming ones, or both. */
  async checkinUpdate(principal: Principal, req: { sourceIds: number[]; destinationIds: number[]; to: TransferStatus; reason?: string }): Promise<AnswerOf<typeof checkin.update>> {
    const r = await this.domain.cloneCallbacks.checkinUpdate(principal, req);
    await this.tellReceivers(r.incomingChanged);
    await this.wakeBatches(r.batches);
    return r.response;
  }

  private async wakeBatches(batchIds: (string | null)[]): Promise<void> {
    for (const id of new Set(batchIds.filter((b): b is string => !!b))) await this.temporal.signal(id, itemsChangedSignal);
  }

  /** Runs the sending step for a peer now (as its Schedule would) and returns what it started. */
  async sendNow(peer: string) {
    const p = await this.domain.peers.row(peer);
    if (!p.sending) {
      throw conflict(`We do not send to "${peer}": it was added as a peer we only receive from.`, `To send to it, remove it and add it again with sending (librarian peers add ${peer} --send ...); our account there needs READAPPEND.`);
    }
    return this.temporal.runToCompletion<typeof sendClones>('sendClones', this.temporal.ids.sendNow(peer), [{ peer }], {
      searchAttributes: [{ key: PEER, value: peer }],
      executionTimeout: '1h',
    });
  }

  async runningBatches(client: Client, peer?: string) {
    const q = [`Librarian = "${this.domain.config.name}"`, `WorkflowType = "cloneBatch"`, `ExecutionStatus = "Running"`, ...(peer ? [`LibrarianPeer = "${peer}"`] : [])].join(' AND ');
    const out = [];
    for await (const w of client.workflow.list({ query: q })) out.push(w);
    return out;
  }

  /** In-flight batches with their phase and what each waits for, and each peer's waiting work. */
  async status(peer?: string) {
    const client = await this.temporal.client();
    const peers = (await this.domain.peers.list()).filter((p) => !peer || p.name === peer);
    if (peer && peers.length === 0) await this.domain.peers.row(peer);
    const peerRows = [];
    for (const p of peers) {
      const cap = await this.domain.clonePlanner.capacity(p.name);
      const candidates = await this.domain.clonePlanner.countCandidates(p.name);
      const waiting = !p.sending ? 'we only receive from it' : candidates === 0 ? null : !p.transfersEnabled ? 'peer paused' : (cap.reason ?? 'next scheduled run');
      peerRows.push({ name: p.name, enabled: p.transfersEnabled, inFlightBatches: cap.inPeer, maxBatches: cap.perPeer, waitingFiles: candidates, waitingReason: waiting });
    }
    const batches = [];
    for (const w of await this.runningBatches(client, peer)) batches.push(await this.describeBatch(client, w.workflowId));
    return { peers: peerRows, batches };
  }

  /**
   * A batch or drive trip: its phase, what it waits for (activity, attempt, last error) and when
   * it tries again. Batches answer a state query; other workflows show their phase search attribute.
   */
  async describeBatch(client: Client, workflowId: string) {
    const handle = client.workflow.getHandle<typeof cloneBatch>(workflowId);
    const d = await handle.describe();
    const running = d.status.name === 'RUNNING';
    const state = running && d.type === 'cloneBatch' ? await handle.query(batchStateQuery).catch(() => undefined) : undefined;
    const pending = pendingActivities(d);
    const first = pending[0];
    const phase = state?.phase ?? (d.typedSearchAttributes.get(PHASE) as string | undefined) ?? null;
    const waitingFor = !running
      ? `nothing: the workflow is ${d.status.name.toLowerCase()}`
      : state?.paused
        ? 'resume (peer paused)'
        : first
          ? `${first.activity}${first.attempt > 1 ? ` (attempt ${first.attempt}${first.lastFailure ? `: ${first.lastFailure}` : ''})` : ''}`
          : state?.phase === 'waiting-for-peer'
            ? `callbacks for ${state.pending ?? '?'} files from the peer`
            : (phase ?? '');
    return {
      workflowId,
      type: d.type,
      status: d.status.name,
      peer: d.typedSearchAttributes.get(PEER) ?? null,
      phase,
      paused: state?.paused ?? false,
      method: state?.method ?? null,
      globusTaskId: state?.globusTaskId ?? null,
      files: d.typedSearchAttributes.get(FILE_COUNT) ?? null,
      bytes: d.typedSearchAttributes.get(BYTES) ?? null,
      started: d.startTime.toISOString(),
      waitingFor,
      nextRetry: first?.nextAttempt ?? null,
      pendingActivities: pending,
      webUi: this.webUiLink(workflowId),
    };
  }

  /**
   * Cancels a clone batch in flight and waits for it to end: it stops its Globus task, fails its
   * unfinished files (offered again in a later batch) and tells the destination.
   */
  async cancel(batchId: string): Promise<{ batchId: string; peer: string | null; filesFailed: number }> {
    const client = await this.temporal.client();
    if (!batchId.startsWith(`clone/${this.domain.config.name}/`)) {
      throw notFound(`"${batchId}" is not a clone batch of this Librarian.`, 'Batch ids are the workflow ids librarian clone status lists (clone/<us>/<peer>/...).');
    }
    const handle = client.workflow.getHandle<typeof cloneBatch>(batchId);
    const d = await handle.describe().catch((e: Error) => {
      if (e.name === 'WorkflowNotFoundError') throw notFound(`No clone batch "${batchId}".`, 'See the batches in flight with librarian clone status.');
      throw e;
    });
    if (d.status.name !== 'RUNNING') {
      throw conflict(`Clone batch ${batchId} has already ended (${d.status.name.toLowerCase()}).`, 'Nothing to cancel; see what became of its files with librarian explain NAME.');
    }
    const unfinished = (await this.domain.transfers.outgoing.unfinished(batchId)).length;
    await handle.cancel();
    // It ends as cancelled once its clean-up has run; any other end is reported as it is.
    await handle.result().catch((e: Error) => {
      if (!/cancel/i.test(`${e.message} ${(e.cause as Error | undefined)?.message ?? ''}`)) throw e;
    });
    return { batchId, peer: (d.typedSearchAttributes.get(PEER) as string | undefined) ?? null, filesFailed: unfinished };
  }

  /** The workflow's page in the Temporal Web UI. */
  webUiLink(workflowId: string): string {
    const { uiUrl, namespace } = this.domain.config.temporal;
    return `${uiUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  }
}
