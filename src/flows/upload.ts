/**
 * Uploads as the API sees them: each one is the `upload` workflow of its destination name
 * (started by its first stage: update-with-start), told when data arrives, and asked to commit.
 */
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Domain } from '../domain';
import type { Catalogued, DeletionPolicyName } from '../domain/ingest';
import type { ReceiveRequest, ReceiveResult } from '../domain/uploads/receiver';
import type { StageResult } from '../domain/uploads/uploads';
import type { Principal } from '../domain/users/users';
import { badRequest, LibrarianError, notFound, unavailable } from '../shared/errors';
import { FILE_NAME } from '../workflows/searchAttributes';
import { commitUpdate, stageUpdate, touchSignal, type StageInput, type upload } from '../workflows/upload';
import { asLibrarianError, timedOut, type TemporalAccess } from './temporal';

export class UploadFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  /** Stages an upload through its workflow (started if needed). */
  async stage(principal: Principal, req: Omit<StageInput, 'createdBy' | 'createdByAdmin'> & { destination: string }): Promise<StageResult> {
    await this.domain.uploads.precheck(req);
    const client = await this.temporal.client();
    const { destination, ...stage } = req;
    const c = this.domain.config;
    const start = new WithStartWorkflowOperation<typeof upload>('upload', {
      workflowId: this.temporal.ids.upload(destination),
      taskQueue: this.temporal.taskQueue,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ destination, stagingTimeoutMs: c.uploads.stagingTimeout, heartbeatTimeoutMs: c.workflows.heartbeatTimeout }],
      typedSearchAttributes: [this.temporal.librarian, { key: FILE_NAME, value: destination }],
    });
    const waitMs = c.api.stageTimeout;
    try {
      return await client.withDeadline(Date.now() + waitMs, () =>
        client.workflow.executeUpdateWithStart(stageUpdate, { args: [{ ...stage, createdBy: principal.username, createdByAdmin: principal.level === 'ADMIN' }], startWorkflowOperation: start }),
      );
    } catch (e) {
      // The request has reached Temporal: a worker may still do it after we stopped waiting.
      if (timedOut(e)) {
        throw unavailable(
          `No Librarian worker answered within ${Math.round(waitMs / 1000)} s; the stage may still be done when one does.`,
          'Send the same upload/stage request again: if the stage was done, it answers with that transfer (nothing is staged twice). If this keeps happening, operators should check that "librarian worker start" runs for this Librarian.',
        );
      }
      throw asLibrarianError(e);
    }
  }

  /** Receives an HTTP upload's data; the workflow hears of it so a slow upload is not taken for an abandoned one. */
  async receiveData(req: ReceiveRequest): Promise<ReceiveResult> {
    const t = await this.domain.uploads.owned(req.principal, req.transferId);
    await this.touch(t.workflowId);
    try {
      return await this.domain.uploadReceiver.receive(req);
    } finally {
      await this.touch(t.workflowId);
    }
  }

  /**
   * What the server holds of an upload and, while its commit verifies or copies the data, how far
   * that has got (the step's last heartbeat: a few seconds old at most).
   */
  async status(principal: Principal, transferId: number) {
    const p = await this.domain.uploads.progress(principal, transferId);
    const open = p.transfer.status === 'ONGOING' || p.transfer.status === 'STAGED' || p.transfer.status === 'INITIATED';
    const complete = p.receivedBytes === Number(p.transfer.transferSize);
    return { ...p, verification: open && complete && p.transfer.workflowId ? await this.verification(p.transfer.workflowId) : null };
  }

  private async verification(workflowId: string): Promise<{ step: string; done: number; total: number } | null> {
    try {
      const client = await this.temporal.client();
      const d = await client.workflow.getHandle(workflowId).describe();
      for (const a of d.raw.pendingActivities ?? []) {
        const type = a.activityType?.name ?? '';
        if (type !== 'verifyAndCommitUpload' && type !== 'verifyUpload' && type !== 'commitUpload') continue;
        const payload = a.heartbeatDetails?.payloads?.[0];
        const details = payload ? (defaultPayloadConverter.fromPayload(payload) as { step?: unknown; done?: unknown; total?: unknown } | undefined) : undefined;
        // The one step reports its parts by the names the two steps it replaced had (and still
        // have in uploads started before it), so status answers read the same.
        const step = type !== 'verifyAndCommitUpload' ? type : details?.step === 'commit' ? 'commitUpload' : 'verifyUpload';
        if (typeof details?.done === 'number' && typeof details.total === 'number') return { step, done: details.done, total: details.total };
        return { step, done: 0, total: 0 };
      }
      return null;
    } catch {
      // Progress is a courtesy: the status answer stands without it.
      return null;
    }
  }

  private async touch(workflowId: string | null): Promise<void> {
    if (!workflowId) return;
    try {
      await this.temporal.signal(workflowId, touchSignal);
    } catch (e) {
      this.domain.log.warn({ workflowId, err: (e as Error).message }, 'could not signal the upload workflow');
    }
  }

  /**
   * Commits a staged upload and waits for the verdict. After the workflow has finished, the
   * verdict is read from the catalog, so repeating a commit is harmless.
   */
  async commit(principal: Principal, transferId: number, deletionPolicy: DeletionPolicyName, checksum?: string): Promise<Catalogued> {
    const owned = await this.domain.uploads.owned(principal, transferId);
    if (!owned.workflowId) throw notFound(`Transfer ${transferId} is not an upload.`, 'Use the transfer_id returned by upload/stage.');
    // Before the workflow's commit, which verifies the data against it. Without one the commit
    // is refused here, where the upload stays open for a commit that declares it, rather than
    // failed by the workflow's verification.
    const t = checksum === undefined ? owned : await this.domain.transfers.incoming.declareChecksum(owned, checksum);
    if (t.transferChecksum === null && (t.status === 'INITIATED' || t.status === 'ONGOING')) {
      throw badRequest(
        `Transfer ${transferId} was staged without a checksum, and this commit does not declare one.`,
        'Send upload_checksum, the checksum of the data, with upload/commit; the staged data is kept until then (or until the upload times out).',
      );
    }
    const client = await this.temporal.client();
    const handle = client.workflow.getHandle<typeof upload>(owned.workflowId);
    try {
      return await handle.executeUpdate(commitUpdate, { args: [{ transferId, deletionPolicy }] });
    } catch (e) {
      const closed = e instanceof WorkflowNotFoundError || (e instanceof WorkflowUpdateFailedError && /completed|closed/i.test(String(e.cause?.message ?? e.message)));
      if (!closed) throw asLibrarianError(e);
      const now = await this.domain.transfers.incoming.get(transferId);
      if (now.status === 'COMPLETED') return this.domain.ingest.catalogued(transferId);
      throw new LibrarianError(now.failureStatus ?? 409, `Transfer ${transferId} is ${now.status}: ${now.failureReason ?? 'no reason recorded'}`, 'Stage the upload again.');
    }
  }
}
