import type { Domain } from '../domain';
import { Deletions, type DeletionGuard } from '../domain/audit/deletions';
import { beating, run } from './support';

export function deletionActivities(domain: Domain) {
  const { deletions } = domain;
  return {
    deletionCandidates: (policy: string, afterId: number, limit: number) => run(() => deletions.candidates(policy, afterId, limit)),
    /** Asks the peers holding copies (they may hash theirs again first). */
    decideDeletion: (policy: string, instanceId: number, dryRun: boolean) =>
      beating(() => deletions.decide(instanceId, Deletions.guardOf(deletions.policy(policy)), { dryRun, by: `policy:${policy}` })),
    decideInstanceDeletion: (instanceId: number, guard: DeletionGuard, opts: { by: string; force: boolean; dryRun: boolean }) => beating(() => deletions.decide(instanceId, guard, opts)),
  };
}
