/**
 * Deletions as the API sees them: a rolling-deletion policy run now (or as a dry run that lists
 * what would go and why the rest stays), and an operator's deletion of one instance, each one
 * workflow under a business id so a repeated request joins the run in progress.
 */
import type { Config } from '../config';
import type { Domain } from '../domain';
import type { DeletionDecision } from '../domain/audit/deletions';
import type { deleteInstance, RollingDeletionInput, rollingDeletion } from '../workflows/rollingDeletion';
import type { TemporalAccess } from './temporal';

export function rollingDeletionSettings(c: Pick<Config, 'workflows'>, policy: string, dryRun: boolean): RollingDeletionInput {
  return { policy, dryRun, heartbeatTimeoutMs: c.workflows.heartbeatTimeout };
}

export interface InstanceDeletionRequest {
  fileName: string;
  store?: string;
  minCopies: number;
  verifiedWithinMs: number;
  force: boolean;
  dryRun: boolean;
  by: string;
}

export class DeletionFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  /** Runs a policy now (or dry-runs it) and returns its summary. */
  async run(policy: string, dryRun: boolean) {
    this.domain.deletions.policy(policy);
    return this.temporal.runToCompletion<typeof rollingDeletion>('rollingDeletion', this.temporal.ids.rollingDeletionNow(policy, dryRun), [rollingDeletionSettings(this.domain.config, policy, dryRun)]);
  }

  /** Deletes (or checks whether it would delete) one local instance, with the rolling-deletion guard unless forced. */
  async deleteInstance(req: InstanceDeletionRequest): Promise<DeletionDecision> {
    const instanceId = await this.domain.deletions.instanceOf(req.fileName, req.store);
    return this.temporal.runToCompletion<typeof deleteInstance>('deleteInstance', this.temporal.ids.deleteInstance(instanceId), [
      { instanceId, guard: { minCopies: req.minCopies, verifiedWithinMs: req.verifiedWithinMs }, by: req.by, force: req.force, dryRun: req.dryRun, heartbeatTimeoutMs: this.domain.config.workflows.heartbeatTimeout },
    ]);
  }
}
