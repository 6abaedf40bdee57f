import { proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { PHASE, STORE } from './searchAttributes';

const { listStoreNames, checkStoreHealth } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', maximumInterval: '1m', maximumAttempts: 5 },
});

export interface StoreHealthCheckInput {
  /** One store; all stores when absent (the scheduled run). */
  storeName?: string;
}

/** Checks that stores are mounted, writable and not full; records the verdict as search attributes. */
export async function storeHealthCheck(input: StoreHealthCheckInput = {}) {
  upsertSearchAttributes([{ key: PHASE, value: 'checking' }]);
  const names = input.storeName ? [input.storeName] : await listStoreNames();
  const results = await Promise.all(names.map((n) => checkStoreHealth(n)));
  const unhealthy = results.filter((r) => !r.available || !r.writable || r.full);
  upsertSearchAttributes([
    { key: PHASE, value: unhealthy.length ? 'unhealthy' : 'healthy' },
    ...(input.storeName ? [{ key: STORE, value: input.storeName }] : []),
  ]);
  return { workflowId: workflowInfo().workflowId, stores: results, unhealthy: unhealthy.map((r) => r.name) };
}
