import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { CATALOG_FOR_MINUTES } from './retries';
import { PHASE, STORE } from './searchAttributes';

const { listStoreNames, checkStoreHealth, recordStoreHealth } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: CATALOG_FOR_MINUTES,
});

export interface StoreHealthCheckInput {
  /** One store; all stores when absent (the scheduled run). */
  storeName?: string;
}

/**
 * Checks that stores are mounted, writable and not full. A store that is not mounted or not
 * writable is failing: that is recorded, and it is disabled (operators alerted) so no upload or
 * clone goes to it until an operator enables it again. The verdict is also in search attributes.
 */
export async function storeHealthCheck(input: StoreHealthCheckInput = {}) {
  upsertSearchAttributes([{ key: PHASE, value: 'checking' }]);
  const names = input.storeName ? [input.storeName] : await listStoreNames();
  const checked = await Promise.all(names.map((n) => checkStoreHealth(n)));
  const failing = (r: (typeof checked)[number]) => !r.available || !r.writable;
  const results = await Promise.all(
    checked.map(async (r) => ({ ...r, ...(await recordStoreHealth(r.name, failing(r) ? (r.problem ?? 'not writable') : null)) })),
  );
  const unhealthy = results.filter((r) => failing(r) || r.full);
  upsertSearchAttributes([
    { key: PHASE, value: unhealthy.length ? 'unhealthy' : 'healthy' },
    ...(input.storeName ? [{ key: STORE, value: input.storeName }] : []),
  ]);
  return { workflowId: workflowInfo().workflowId, stores: results, unhealthy: unhealthy.map((r) => r.name) };
}
