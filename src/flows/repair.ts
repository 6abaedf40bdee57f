/**
 * Repairs as the API and the other workflows see them. Each damaged instance is repaired by one
 * repairInstance workflow (repair/<librarian>/<instance id>): starting one while it runs joins
 * it, so there are never two repairs of an instance at once. Whoever finds damage (an audit, a
 * validation, a clone batch, a peer asking us for a copy we find damaged) asks for the repairs
 * never tried yet. As the upstream of a peer's repair, we answer corrupt/prepare and
 * corrupt/resend and send the file in a one-file clone batch.
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Config } from '../config';
import type { Domain } from '../domain';
import type { RepairView } from '../domain/audit/repair';
import { cloneBatchSettings } from '../domain/clone/planner';
import type { Principal } from '../domain/users/users';
import { isLibrarianError } from '../shared/errors';
import type { cloneBatch } from '../workflows/cloneBatch';
import type { RepairInput, RepairResult, repairInstance } from '../workflows/repairInstance';
import { FILE_COUNT, PEER, PHASE } from '../workflows/searchAttributes';
import { guarded, type TemporalAccess } from './temporal';

export function repairSettings(c: Pick<Config, 'repair' | 'workflows' | 'clone'>, instanceId: number): RepairInput {
  return { instanceId, retryEveryMs: c.repair.retryEvery, giveUpAfterMs: c.repair.giveUpAfter, heartbeatTimeoutMs: c.workflows.heartbeatTimeout, arrivalPollMs: c.clone.callbackWait };
}

export interface RepairStatus extends RepairView {
  workflowId: string | null;
  /** Its repair workflow is running, and at which step. */
  running: boolean;
  phase: string | null;
}

export class RepairFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  /** Starts the repair of an instance, or joins the one running. */
  async start(instanceId: number): Promise<string> {
    const client = await this.temporal.client();
    const workflowId = this.temporal.ids.repair(instanceId);
    await client.workflow.start<typeof repairInstance>('repairInstance', {
      taskQueue: this.temporal.taskQueue,
      workflowId,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      args: [repairSettings(this.domain.config, instanceId)],
      typedSearchAttributes: [this.temporal.librarian],
    });
    return workflowId;
  }

  /** Starts the repairs never tried yet (damage just found). */
  async startAwaiting(): Promise<{ started: string[] }> {
    const started = [];
    for (const id of await this.domain.repairs.awaitingRepair()) started.push(await this.start(id));
    return { started };
  }

  /**
   * `librarian repair run NAME`: repairs every damaged copy of the file and waits for the
   * outcomes. Copies not known to be damaged are not touched (validate the file to find out).
   */
  async run(fileName: string): Promise<RepairResult[]> {
    const ids = await this.domain.repairs.damagedInstancesOf(fileName);
    const client = await this.temporal.client();
    return Promise.all(
      ids.map(async (id) => {
        const workflowId = await this.start(id);
        return guarded(() => client.workflow.getHandle<typeof repairInstance>(workflowId).result());
      }),
    );
  }

  /** Damaged copies, with their repairs: running (and at which step) or how they last ended. */
  async status(): Promise<RepairStatus[]> {
    const views = await this.domain.repairs.status();
    const client = await this.temporal.client();
    const running = new Map<string, string | null>();
    const q = `Librarian = "${this.domain.config.name}" AND WorkflowType = "repairInstance" AND ExecutionStatus = "Running"`;
    for await (const w of client.workflow.list({ query: q })) {
      running.set(w.workflowId, (w.typedSearchAttributes.get(PHASE) as string | undefined) ?? null);
    }
    return views.map((v) => {
      const workflowId = v.instanceId !== null ? this.temporal.ids.repair(v.instanceId) : null;
      const on = workflowId !== null && running.has(workflowId);
      return { ...v, workflowId, running: on, phase: on ? running.get(workflowId!)! : null };
    });
  }

  // ---- upstream of a peer's repair ----

  /** corrupt/prepare: if our own copy turns out damaged, its repair starts at once. */
  async prepare(principal: Principal, peer: string, fileName: string): Promise<{ ready: true }> {
    try {
      return await this.domain.corruptResend.prepare(principal, peer, fileName);
    } catch (e) {
      if (isLibrarianError(e) && e.status === 409) await this.startAwaiting();
      throw e;
    }
  }

  /** corrupt/resend: the file goes to the peer as a one-file clone batch, staged there before we answer. */
  async resend(principal: Principal, peer: string, fileName: string): Promise<{ destinationTransferId: number }> {
    let r;
    try {
      r = await this.domain.corruptResend.resend(principal, peer, fileName);
    } catch (e) {
      if (isLibrarianError(e) && e.status === 409) await this.startAwaiting();
      throw e;
    }
    const client = await this.temporal.client();
    await client.workflow.start<typeof cloneBatch>('cloneBatch', {
      taskQueue: this.temporal.taskQueue,
      workflowId: r.batchId,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ peer, batchId: r.batchId, settings: cloneBatchSettings(this.domain.config), ...(r.staged ? { staged: r.staged } : {}) }],
      typedSearchAttributes: [this.temporal.librarian, { key: PEER, value: peer }, { key: FILE_COUNT, value: 1 }, { key: PHASE, value: 'starting' }],
    });
    return { destinationTransferId: r.destinationTransferId };
  }
}
