/**
 * Starting and talking to workflows on behalf of the API. Failures that carry a LibrarianError
 * (raised in an activity, or by a workflow's update handler) come back as that error, so the
 * HTTP caller sees the same status and reason whichever process found the problem.
 */
import {
  WithStartWorkflowOperation,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { SearchAttributePair, Workflow, WorkflowResultType } from '@temporalio/common';
import { LibrarianError, notFound, unavailable } from '../errors';
import { workflowId } from '../temporal/connection';
import { failureDetails } from '../workflows/failures';
import { LIBRARIAN, STORE } from '../workflows/searchAttributes';
import type { storeHealthCheck } from '../workflows/storeHealthCheck';
import { commitUpdate, stageUpdate, touchSignal, type StageInput, type upload } from '../workflows/upload';
import type { validateFile } from '../workflows/validateFile';
import type { Services } from '.';
import type { DeletionPolicyName, StageResult } from './uploads';
import type { Principal } from './users';
import { ownedTransfer } from './uploadReceiver';

/** How long an API call waits for a worker to pick up a short step before answering 503. */
const SHORT_STEP_DEADLINE_MS = 120_000;

export async function temporalClient(services: Services): Promise<Client> {
  try {
    return await services.temporal();
  } catch (e) {
    throw unavailable(
      `Temporal at ${services.config.temporal.address} cannot be reached: ${(e as Error).message}`,
      'Start the Temporal server (librarian dev starts one) or fix temporal.address in the configuration, then retry.',
    );
  }
}

/** Turns a workflow or update failure into the LibrarianError it carries. */
export function asLibrarianError(e: unknown): unknown {
  const d = failureDetails(e);
  if (d) {
    const { status, reason, suggested_remedy, ...extra } = d;
    return new LibrarianError(status, reason, suggested_remedy, extra);
  }
  if (e instanceof WorkflowUpdateRPCTimeoutOrCancelledError || (e as { code?: number }).code === 4 /* DEADLINE_EXCEEDED */) {
    return unavailable('No Librarian worker answered in time.', 'Check that "librarian worker start" is running for this Librarian, then retry.');
  }
  return e;
}

/** A signal to a workflow that may have finished meanwhile: one that is gone needs no signal. */
export async function ifRunning(signalled: Promise<void>): Promise<void> {
  await signalled.catch((e) => {
    if (!(e instanceof WorkflowNotFoundError)) throw e;
  });
}

export async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asLibrarianError(e);
  }
}

export function uploadWorkflowId(services: Services, destination: string): string {
  return workflowId(services.config, 'upload', destination);
}

/** Stages an upload through its workflow (started if needed: update-with-start). */
export async function stageUpload(services: Services, req: StageInput & { destination: string }): Promise<StageResult> {
  await services.uploads.precheck(req);
  const client = await temporalClient(services);
  const { destination, ...stage } = req;
  const start = new WithStartWorkflowOperation<typeof upload>('upload', {
    workflowId: uploadWorkflowId(services, destination),
    taskQueue: services.config.temporal.taskQueue,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ destination, stagingTimeoutMs: services.config.uploads.stagingTimeout, heartbeatTimeoutMs: services.config.workflows.heartbeatTimeout }],
    typedSearchAttributes: [{ key: LIBRARIAN, value: services.config.name }],
  });
  return guarded(() =>
    client.withDeadline(Date.now() + SHORT_STEP_DEADLINE_MS, () => client.workflow.executeUpdateWithStart(stageUpdate, { args: [stage], startWorkflowOperation: start })),
  );
}

/**
 * Commits a staged upload and waits for the verdict. After the workflow has finished, the
 * verdict is read from the catalog, so repeating a commit is harmless.
 */
export async function commitUpload(services: Services, principal: Principal, transferId: number, deletionPolicy: DeletionPolicyName) {
  const t = await ownedTransfer(services, transferId, principal);
  if (!t.workflowId) throw notFound(`Transfer ${transferId} is not an upload.`, 'Use the transfer_id returned by upload/stage.');
  const client = await temporalClient(services);
  const handle = client.workflow.getHandle<typeof upload>(t.workflowId);
  try {
    return await handle.executeUpdate(commitUpdate, { args: [{ transferId, deletionPolicy }] });
  } catch (e) {
    const closed = e instanceof WorkflowNotFoundError || (e instanceof WorkflowUpdateFailedError && /completed|closed/i.test(String(e.cause?.message ?? e.message)));
    if (!closed) throw asLibrarianError(e);
    const now = await services.uploads.get(transferId);
    if (now.status === 'COMPLETED') {
      const inst = await services.db.instance.findFirstOrThrow({ where: { fileName: now.storePath, storeId: now.storeId! } });
      const store = services.stores.local(await services.stores.rowById(now.storeId!));
      return { fileName: now.storePath, instanceId: inst.id, storeName: store.name, path: store.storePathFor(inst.path) };
    }
    throw new LibrarianError(now.failureStatus ?? 409, `Transfer ${transferId} is ${now.status}: ${now.failureReason ?? 'no reason recorded'}`, 'Stage the upload again.');
  }
}

/** Tells the upload workflow data is arriving, so its staging timeout restarts. */
export async function touchUpload(services: Services, workflowIdOfUpload: string | null): Promise<void> {
  if (!workflowIdOfUpload) return;
  try {
    const client = await services.temporal();
    await client.workflow.getHandle(workflowIdOfUpload).signal(touchSignal);
  } catch (e) {
    services.log.warn({ workflowId: workflowIdOfUpload, err: (e as Error).message }, 'could not signal the upload workflow');
  }
}

/**
 * Starts a workflow, or joins the one already running under the same id (so a repeated request
 * does the work once), and waits for its result.
 */
export async function runToCompletion<W extends Workflow>(
  services: Services,
  type: string,
  id: string,
  args: Parameters<W>,
  extra: { searchAttributes?: SearchAttributePair[]; executionTimeout?: string } = {},
): Promise<WorkflowResultType<W>> {
  const client = await temporalClient(services);
  const handle = await client.workflow.start<W>(type, {
    taskQueue: services.config.temporal.taskQueue,
    workflowId: id,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args,
    typedSearchAttributes: [{ key: LIBRARIAN, value: services.config.name }, ...(extra.searchAttributes ?? [])],
    ...(extra.executionTimeout ? { workflowExecutionTimeout: extra.executionTimeout } : {}),
    // The SDK's options type is conditional on W's parameters, which it cannot resolve for a generic W.
  } as unknown as WorkflowStartOptions<W>);
  return guarded(() => handle.result());
}

/** Runs a health check of one store and waits for the verdict. */
export async function runStoreHealthCheck(services: Services, storeName: string) {
  await services.stores.row(storeName);
  return runToCompletion<typeof storeHealthCheck>(services, 'storeHealthCheck', workflowId(services.config, 'store-health', storeName), [{ storeName }], {
    searchAttributes: [{ key: STORE, value: storeName }],
    executionTimeout: '10m',
  });
}

/** Validates a file's local instances in a workflow. */
export async function runValidateFile(services: Services, fileName: string, force: boolean) {
  await services.search.requireFile(fileName);
  return runToCompletion<typeof validateFile>(services, 'validateFile', workflowId(services.config, 'validate', fileName), [
    { fileName, force, heartbeatTimeoutMs: services.config.workflows.heartbeatTimeout },
  ]);
}
