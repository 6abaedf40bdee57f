/**
 * One run of a rolling-deletion policy (Schedule rolling-deletion/<librarian>/<policy>, or now by
 * an operator, optionally as a dry run): go through the policy's candidates on its store in id
 * order, a few at a time, and for each decide (and unless dry-running, delete) with every guard
 * checked at that moment (see domain/audit/deletions). Long runs continue as new with their place
 * and their tally.
 */
import { continueAsNew, defineQuery, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { DeletionDecision } from '../domain/audit/deletions';
import { BACKGROUND_DISK_WORK, CATALOG_FOR_MINUTES, DISK_WORK } from './retries';
import { PHASE } from './searchAttributes';

export interface RollingDeletionInput {
  policy: string;
  dryRun: boolean;
  heartbeatTimeoutMs: number;
  /** Carried over by continue-as-new. */
  progress?: RollingDeletionSummary;
}

export interface RollingDeletionSummary {
  policy: string;
  dryRun: boolean;
  considered: number;
  deleted: number;
  wouldDelete: number;
  kept: number;
  /** The decisions (the first 1000). */
  decisions: DeletionDecision[];
  /** Where the run is: the last instance id decided. */
  afterId: number;
  finished: boolean;
}

export const deletionProgressQuery = defineQuery<RollingDeletionSummary>('progress');

const PAGE = 64;
const AT_ONCE = 4;
const KEEP_DECISIONS = 1000;

export async function rollingDeletion(input: RollingDeletionInput): Promise<RollingDeletionSummary> {
  const quick = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: CATALOG_FOR_MINUTES });
  // Peers may hash their copies again before they answer.
  const deciding = proxyActivities<Activities>({ startToCloseTimeout: '12h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: BACKGROUND_DISK_WORK });
  const s: RollingDeletionSummary = input.progress ?? { policy: input.policy, dryRun: input.dryRun, considered: 0, deleted: 0, wouldDelete: 0, kept: 0, decisions: [], afterId: 0, finished: false };
  setHandler(deletionProgressQuery, () => s);
  upsertSearchAttributes([{ key: PHASE, value: input.dryRun ? 'dry run' : 'deleting' }]);
  for (;;) {
    const ids = await quick.deletionCandidates(input.policy, s.afterId, PAGE);
    if (ids.length === 0) break;
    for (let i = 0; i < ids.length; i += AT_ONCE) {
      const decided = await Promise.all(ids.slice(i, i + AT_ONCE).map((id) => deciding.decideDeletion(input.policy, id, input.dryRun)));
      for (const d of decided) {
        s.considered++;
        if (d.action === 'deleted') s.deleted++;
        else if (d.action === 'would-delete') s.wouldDelete++;
        else s.kept++;
        if (s.decisions.length < KEEP_DECISIONS) s.decisions.push(d);
      }
    }
    s.afterId = ids[ids.length - 1]!;
    if (workflowInfo().continueAsNewSuggested) await continueAsNew<typeof rollingDeletion>({ ...input, progress: s });
  }
  s.finished = true;
  upsertSearchAttributes([{ key: PHASE, value: input.dryRun ? `dry run: ${s.wouldDelete} would be deleted, ${s.kept} kept` : `done: ${s.deleted} deleted, ${s.kept} kept` }]);
  return s;
}

export interface DeleteInstanceInput {
  instanceId: number;
  guard: { minCopies: number; verifiedWithinMs: number };
  by: string;
  force: boolean;
  dryRun: boolean;
  heartbeatTimeoutMs: number;
}

/** An operator's deletion of one instance (delete-instance/<librarian>/<instance id>), with the same guard. */
export async function deleteInstance(input: DeleteInstanceInput): Promise<DeletionDecision> {
  const deciding = proxyActivities<Activities>({ startToCloseTimeout: '12h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: DISK_WORK });
  return deciding.decideInstanceDeletion(input.instanceId, input.guard, { by: input.by, force: input.force, dryRun: input.dryRun });
}
