/**
 * Whether this build's workflow code can carry on the workflows running now: their histories are
 * replayed against it (no activity runs, nothing is changed). Run from a new version before
 * deploying it (docs/operations.md, "Workflow code changes"): a workflow that fails here would
 * stop making progress on the new workers.
 */
import type { Client } from '@temporalio/client';
import { workflowCode } from './workflowCode';

export interface ReplayOutcome {
  workflow_id: string;
  run_id: string;
  /** Null when it replays; else why not (a non-determinism error names the step). */
  error: string | null;
}

export async function replayRunning(client: Client, librarian: string | undefined): Promise<ReplayOutcome[]> {
  const { Worker } = await import('@temporalio/worker');
  const query = [librarian ? `Librarian = "${librarian}"` : '', 'ExecutionStatus = "Running"'].filter(Boolean).join(' AND ');
  const outcomes: ReplayOutcome[] = [];
  for await (const r of Worker.runReplayHistories(workflowCode(), client.workflow.list({ query }).intoHistories())) {
    outcomes.push({ workflow_id: r.workflowId, run_id: r.runId, error: r.error ? (r.error as Error).message : null });
  }
  return outcomes;
}
