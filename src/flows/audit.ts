/**
 * Store audits as the API sees them: each store's audit runs as the auditStore workflow under one
 * id (audit/<librarian>/<store>), started by its Schedule (through scheduledAudit) or now by an
 * operator; asking for an audit while one runs joins it.
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Domain } from '../domain';
import { auditProgressQuery, type AuditProgress, type AuditStoreInput, type auditStore } from '../workflows/auditStore';
import { STORE } from '../workflows/searchAttributes';
import type { TemporalAccess } from './temporal';

export function auditSettings(c: Pick<Config, 'audit' | 'workflows'>, store: string): AuditStoreInput {
  return { store, reverifyAfterMs: c.audit.reverifyAfter, bytesPerSecond: c.audit.bytesPerSecond, heartbeatTimeoutMs: c.workflows.heartbeatTimeout };
}

function emptyProgress(store: string): AuditProgress {
  return { store, phase: 'planning', total: 0, totalBytes: 0, checked: 0, bytes: 0, good: 0, lost: 0, corrupt: 0, dark: null, skipped: null, finished: false };
}

export interface AuditStatus extends AuditProgress {
  workflowId: string;
  running: boolean;
}

export class AuditFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  /** Starts the audit of one store, or of every store, now; joins an audit already running. */
  async run(store?: string): Promise<{ store: string; workflowId: string }[]> {
    const names = store ? [(await this.domain.stores.row(store)).name] : await this.domain.stores.names();
    const client = await this.temporal.client();
    const out = [];
    for (const name of names) {
      const workflowId = this.temporal.ids.audit(name);
      await client.workflow.start<typeof auditStore>('auditStore', {
        taskQueue: this.temporal.taskQueue,
        workflowId,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        args: [auditSettings(this.domain.config, name)],
        typedSearchAttributes: [this.temporal.librarian, { key: STORE, value: name }],
      });
      out.push({ store: name, workflowId });
    }
    return out;
  }

  /** Where each store's latest audit stands (running, or how it ended); stores never audited are left out. */
  async status(store?: string): Promise<AuditStatus[]> {
    const names = store ? [(await this.domain.stores.row(store)).name] : await this.domain.stores.names();
    const client = await this.temporal.client();
    const out: AuditStatus[] = [];
    for (const name of names) {
      const s = await this.latest(client, name);
      if (s) out.push(s);
    }
    return out;
  }

  private async latest(client: Client, store: string): Promise<AuditStatus | undefined> {
    const workflowId = this.temporal.ids.audit(store);
    const handle = client.workflow.getHandle<typeof auditStore>(workflowId);
    let running: boolean;
    try {
      running = (await handle.describe()).status.name === 'RUNNING';
    } catch (e) {
      if (e instanceof WorkflowNotFoundError) return undefined;
      throw e;
    }
    const p = running
      ? await handle.query(auditProgressQuery)
      : await handle.result().catch((e: Error): AuditProgress => ({ ...emptyProgress(store), phase: 'skipped', skipped: `the audit ended without a result: ${e.message}`, finished: true }));
    // Its last moments: the work is done (the workflow is returning its result).
    return { ...p, workflowId, running: running && !p.finished };
  }
}
