/**
 * The API's side of the clone workflows: starting receive workflows, passing the peer's reports
 * on as signals, pausing and resuming batches, the per-peer Schedules, and the operator's view.
 */
import { WorkflowIdConflictPolicy, type Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cloneSettingsFor, type Config } from '../config';
import { workflowId } from '../temporal/connection';
import { pruneSchedules, upsertSchedule } from '../temporal/schedules';
import { batchStateQuery, itemsChangedSignal, pauseSignal, type cloneBatch } from '../workflows/cloneBatch';
import { failedSignal, stagedSignal, type receiveClone, type ReceiveCloneInput, type ReceiveSettings } from '../workflows/receiveClone';
import { BYTES, FILE_COUNT, LIBRARIAN, PEER } from '../workflows/searchAttributes';
import type { sendClones } from '../workflows/sendClones';
import type { Services } from '.';
import { ifRunning, runToCompletion, temporalClient } from './workflows';

export function receiveWorkflowId(services: Services, transferId: number): string {
  return workflowId(services.config, 'receive', transferId);
}

/** How a received file is verified, committed and confirmed: the same for network clones and drives. */
export function receiveSettings(c: Config): ReceiveSettings {
  return {
    receiveTimeoutMs: c.clone.receiveTimeout,
    heartbeatTimeoutMs: c.workflows.heartbeatTimeout,
    retry: c.clone.retry,
    giveUpAfterMs: c.clone.giveUpAfter,
    deletionPolicy: c.clone.deletionPolicy,
  };
}

function receiveStart(services: Services, transferId: number, source: string) {
  return {
    taskQueue: services.config.temporal.taskQueue,
    workflowId: receiveWorkflowId(services, transferId),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ transferId, source, ...receiveSettings(services.config) }] as [ReceiveCloneInput],
    typedSearchAttributes: [
      { key: LIBRARIAN, value: services.config.name },
      { key: PEER, value: source },
    ],
  };
}

/** One receive workflow per staged incoming transfer (joined if it already runs). */
export async function startReceiveWorkflows(services: Services, transferIds: number[], source: string): Promise<void> {
  if (transferIds.length === 0) return;
  const client = await temporalClient(services);
  const queue = [...transferIds];
  await Promise.all(
    Array.from({ length: Math.min(16, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        await client.workflow.start<typeof receiveClone>('receiveClone', receiveStart(services, id, source));
      }
    }),
  );
}

/**
 * Tells receive workflows their data is staged (signal-with-start: a workflow whose start was
 * lost is started now) or that the source gave up.
 */
export async function signalIncoming(services: Services, changes: { id: number; to: string }[]): Promise<void> {
  if (changes.length === 0) return;
  const client = await temporalClient(services);
  for (const c of changes) {
    const t = await services.db.incomingTransfer.findUnique({ where: { id: c.id } });
    if (!t) continue;
    if (c.to === 'STAGED') {
      await client.workflow.signalWithStart<typeof receiveClone, []>('receiveClone', { ...receiveStart(services, c.id, t.source), signal: stagedSignal, signalArgs: [] });
    } else if (c.to === 'FAILED' || c.to === 'CANCELLED') {
      await ifRunning(client.workflow.getHandle(receiveWorkflowId(services, c.id)).signal(failedSignal, `the source set it ${c.to}`));
    }
  }
}

/** Wakes batch workflows whose items the peer reported on. */
export async function signalBatches(services: Services, batchIds: (string | null)[]): Promise<void> {
  const client = await temporalClient(services);
  for (const id of new Set(batchIds.filter((b): b is string => !!b))) {
    await ifRunning(client.workflow.getHandle<typeof cloneBatch>(id).signal(itemsChangedSignal));
  }
}

async function runningBatches(client: Client, services: Services, peer?: string) {
  const q = [`Librarian = "${services.config.name}"`, `WorkflowType = "cloneBatch"`, `ExecutionStatus = "Running"`, ...(peer ? [`LibrarianPeer = "${peer}"`] : [])].join(' AND ');
  const out = [];
  for await (const w of client.workflow.list({ query: q })) out.push(w);
  return out;
}

export function sendSchedulePrefix(services: Services): string {
  return `${workflowId(services.config, 'send-clones')}/`;
}

/**
 * Pauses or resumes a peer: the flag in the catalog (new batches), the peer's Schedule, and
 * every batch in flight (held before its next step).
 */
export async function setPeerPaused(services: Services, peer: string, paused: boolean): Promise<number> {
  await services.peers.setTransfersEnabled(peer, !paused);
  const client = await temporalClient(services);
  await ensurePeerSchedules(client, services);
  const batches = await runningBatches(client, services, peer);
  // A batch that finished since it was listed needs no signal.
  for (const b of batches) await ifRunning(client.workflow.getHandle<typeof cloneBatch>(b.workflowId).signal(pauseSignal, paused));
  return batches.length;
}

/** One sending Schedule per peer, paused while transfers to the peer are paused (none when clone.every is 0). */
export async function ensurePeerSchedules(client: Client, services: Services): Promise<void> {
  const prefix = sendSchedulePrefix(services);
  const peers = await services.peers.list();
  const wanted = new Map(peers.map((p) => [`${prefix}${p.name}`, p]));
  await pruneSchedules(client, services.log, prefix, new Set(wanted.keys()));
  for (const [id, p] of wanted) {
    const every = cloneSettingsFor(services.config, p.name).every;
    await upsertSchedule(
      client,
      services.log,
      {
        scheduleId: id,
        spec: { intervals: [{ every: Math.max(every, 1000) }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'sendClones',
          taskQueue: services.config.temporal.taskQueue,
          args: [{ peer: p.name }],
          workflowId: id,
          typedSearchAttributes: [
            { key: LIBRARIAN, value: services.config.name },
            { key: PEER, value: p.name },
          ],
          workflowExecutionTimeout: '1h',
        },
      },
      every,
      p.transfersEnabled ? undefined : 'transfers to this peer are paused',
    );
  }
}

/** Runs the sending step for a peer now (as its Schedule would) and returns what it started. */
export async function sendNow(services: Services, peer: string) {
  await services.peers.row(peer);
  return runToCompletion<typeof sendClones>(services, 'sendClones', `${sendSchedulePrefix(services)}${peer}/now`, [{ peer }], {
    searchAttributes: [{ key: PEER, value: peer }],
    executionTimeout: '1h',
  });
}

function ts(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

/** In-flight batches with their phase and what each waits for, and each peer's waiting work. */
export async function cloneStatus(services: Services, peer?: string) {
  const client = await temporalClient(services);
  const peers = (await services.peers.list()).filter((p) => !peer || p.name === peer);
  if (peer && peers.length === 0) await services.peers.row(peer);
  const peerRows = [];
  for (const p of peers) {
    const cap = await services.cloneSend.capacity(p.name);
    const candidates = await services.cloneSend.countCandidates(p.name);
    const waiting = candidates === 0 ? null : !p.transfersEnabled ? 'peer paused' : (cap.reason ?? 'next scheduled run');
    peerRows.push({ name: p.name, enabled: p.transfersEnabled, inFlightBatches: cap.inPeer, maxBatches: cap.perPeer, waitingFiles: candidates, waitingReason: waiting });
  }
  const batches = [];
  for (const w of await runningBatches(client, services, peer)) {
    const handle = client.workflow.getHandle(w.workflowId);
    const [d, state] = await Promise.all([handle.describe(), handle.query(batchStateQuery).catch(() => undefined)]);
    const pending = (d.raw.pendingActivities ?? []).map((a) => ({
      activity: a.activityType?.name ?? '',
      attempt: a.attempt ?? 0,
      state: a.state !== null && a.state !== undefined ? temporal.api.enums.v1.PendingActivityState[a.state] : '',
      lastFailure: a.lastFailure?.message ?? null,
      nextAttempt: ts(a.nextAttemptScheduleTime),
    }));
    const first = pending[0];
    const waitingFor = state?.paused
      ? 'resume (peer paused)'
      : first
        ? `${first.activity}${first.attempt > 1 ? ` (attempt ${first.attempt}${first.lastFailure ? `: ${first.lastFailure}` : ''})` : ''}`
        : state?.phase === 'waiting-for-peer'
          ? `callbacks for ${state.pending ?? '?'} files from the peer`
          : (state?.phase ?? '');
    batches.push({
      workflowId: w.workflowId,
      peer: w.typedSearchAttributes.get(PEER) ?? null,
      phase: state?.phase ?? null,
      paused: state?.paused ?? false,
      method: state?.method ?? null,
      globusTaskId: state?.globusTaskId ?? null,
      files: w.typedSearchAttributes.get(FILE_COUNT) ?? null,
      bytes: w.typedSearchAttributes.get(BYTES) ?? null,
      started: w.startTime.toISOString(),
      waitingFor,
      nextRetry: first?.nextAttempt ?? null,
      pendingActivities: pending,
    });
  }
  return { peers: peerRows, batches };
}

