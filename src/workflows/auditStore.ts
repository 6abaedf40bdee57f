/**
 * The integrity audit of one store (audit/<librarian>/<store>):
 *
 *   plan     what is due: instances not verified within audit.reverifyAfter of the audit's start
 *            (nothing, and nothing recorded as lost, when the store's disk is not mounted);
 *   hash     in chunks of about a minute's work, oldest verification first, reading at most
 *            audit.bytesPerSecond (paced as it reads, so the disk never sees a burst that would
 *            starve uploads; a chunk that ends early is followed by the rest of its minute's
 *            pause); a chunk cut short by a crash is retried, and carries on with what is still
 *            due;
 *   dark     look for data under the store root that no instance describes.
 *
 * Lost and corrupt copies are recorded as findings (and alerted) by the domain as they are found,
 * and their repairs (repairInstance) start after the chunk that found them.
 */
import { continueAsNew, defineQuery, ParentClosePolicy, proxyActivities, setHandler, sleep, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BACKGROUND_DISK_WORK, CATALOG_FOR_MINUTES } from './retries';
import { PHASE, STORE } from './searchAttributes';

export interface AuditStoreInput {
  store: string;
  reverifyAfterMs: number;
  bytesPerSecond: number;
  heartbeatTimeoutMs: number;
  /** Carried over by continue-as-new. */
  progress?: AuditProgress;
  cutoffMs?: number;
}

export interface AuditProgress {
  store: string;
  phase: 'planning' | 'hashing' | 'scanning' | 'done' | 'skipped';
  /** Instances and bytes due when the audit started. */
  total: number;
  totalBytes: number;
  checked: number;
  bytes: number;
  good: number;
  lost: number;
  corrupt: number;
  /** Dark paths found (null until the scan ran). */
  dark: number | null;
  /** Why nothing (or not everything) was audited. */
  skipped: string | null;
  finished: boolean;
}

export const auditProgressQuery = defineQuery<AuditProgress>('progress');

/** How much work one chunk is, in seconds at the audit's pace. */
const CHUNK_SECONDS = 60;

export async function auditStore(input: AuditStoreInput): Promise<AuditProgress> {
  const quick = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: CATALOG_FOR_MINUTES });
  const hashing = proxyActivities<Activities>({ startToCloseTimeout: '6h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: BACKGROUND_DISK_WORK });
  const p: AuditProgress = input.progress ?? {
    store: input.store,
    phase: 'planning',
    total: 0,
    totalBytes: 0,
    checked: 0,
    bytes: 0,
    good: 0,
    lost: 0,
    corrupt: 0,
    dark: null,
    skipped: null,
    finished: false,
  };
  setHandler(auditProgressQuery, () => p);
  const setPhase = (phase: AuditProgress['phase'], label: string = phase) => {
    p.phase = phase;
    upsertSearchAttributes([
      { key: PHASE, value: label },
      { key: STORE, value: input.store },
    ]);
  };
  const finish = (phase: 'done' | 'skipped') => {
    p.finished = true;
    setPhase(phase, phase === 'skipped' ? `skipped: ${p.skipped}` : p.lost + p.corrupt + (p.dark ?? 0) > 0 ? `done, ${p.lost} lost, ${p.corrupt} corrupt, ${p.dark ?? 0} dark` : 'done');
    return p;
  };

  // Due: not verified since this moment (fixed for the whole audit, so what it verifies is done).
  const cutoffMs = input.cutoffMs ?? Date.now() - input.reverifyAfterMs;
  if (!input.progress) {
    setPhase('planning');
    const plan = await quick.planAudit(input.store, cutoffMs);
    if (!plan.mounted) {
      p.skipped = 'the store is not mounted';
      return finish('skipped');
    }
    p.total = plan.instances;
    p.totalBytes = plan.bytes;
  }
  const chunkBytes = Math.max(Math.round(input.bytesPerSecond * CHUNK_SECONDS), 1);
  if (p.phase !== 'scanning') {
    setPhase('hashing');
    for (;;) {
      const r = await hashing.auditChunk(input.store, cutoffMs, chunkBytes, input.bytesPerSecond);
      p.checked += r.checked;
      p.bytes += r.bytes;
      p.good += r.good;
      p.lost += r.lost;
      p.corrupt += r.corrupt;
      // Repairs start as damage is found, not when the audit ends (which may be days away).
      if (r.lost + r.corrupt > 0) await quick.startAwaitingRepairs();
      if (!r.mounted) {
        p.skipped = 'the store was unmounted during the audit';
        return finish('skipped');
      }
      if (!r.more) break;
      const pause = (r.bytes / input.bytesPerSecond) * 1000 - r.elapsedMs;
      if (pause > 0) await sleep(pause);
      if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof auditStore>({ ...input, progress: p, cutoffMs });
    }
  }
  setPhase('scanning');
  const dark = await hashing.auditDark(input.store);
  if (!dark.mounted) {
    p.skipped = 'the store was unmounted during the audit';
    return finish('skipped');
  }
  p.dark = dark.dark.length;
  return finish('done');
}

/**
 * What a store's audit Schedule starts: the audit under its one id (audit/<librarian>/<store>),
 * unless one is already running there (started by an operator): then this run has nothing to do.
 */
export async function scheduledAudit(input: AuditStoreInput & { auditWorkflowId: string }): Promise<{ started: boolean }> {
  const { auditWorkflowId, ...audit } = input;
  try {
    const child = await startChild(auditStore, { workflowId: auditWorkflowId, args: [audit], parentClosePolicy: ParentClosePolicy.ABANDON, typedSearchAttributes: workflowInfo().typedSearchAttributes });
    await child.result();
    return { started: true };
  } catch (e) {
    if ((e as Error).name === 'WorkflowExecutionAlreadyStartedError') return { started: false };
    throw e;
  }
}
