import { WorkflowIdConflictPolicy, type WorkflowHandle } from '@temporalio/client';
import { unavailable } from '../errors';
import { workflowId } from '../temporal/connection';
import { LIBRARIAN, STORE } from '../workflows/searchAttributes';
import type { storeHealthCheck } from '../workflows/storeHealthCheck';
import type { Services } from '.';

/** Starts workflows on behalf of the API and the CLI. */
export async function temporalClient(services: Services) {
  try {
    return await services.temporal();
  } catch (e) {
    throw unavailable(
      `Temporal at ${services.config.temporal.address} cannot be reached: ${(e as Error).message}`,
      'Start the Temporal server (librarian dev starts one) or fix temporal.address in the configuration, then retry.',
    );
  }
}

/**
 * Runs a health check of one store and waits for the verdict. A check already running for the
 * store is joined instead of starting a second one.
 */
export async function runStoreHealthCheck(services: Services, storeName: string) {
  await services.stores.row(storeName);
  const client = await temporalClient(services);
  const handle: WorkflowHandle<typeof storeHealthCheck> = await client.workflow.start<typeof storeHealthCheck>('storeHealthCheck', {
    taskQueue: services.config.temporal.taskQueue,
    workflowId: workflowId(services.config, 'store-health', storeName),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    args: [{ storeName }],
    typedSearchAttributes: [
      { key: LIBRARIAN, value: services.config.name },
      { key: STORE, value: storeName },
    ],
    workflowExecutionTimeout: '10m',
  });
  return handle.result();
}
