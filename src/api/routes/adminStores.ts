import { z } from 'zod';
import type { StoreView } from '../../domain/stores/stores';
import { endpoint } from '../endpoint';

const storeOut = (s: StoreView) => ({
  id: s.id,
  name: s.name,
  store_type: s.storeType,
  free_space: s.freeSpace,
  ingestable: s.ingestable,
  available: s.available,
  enabled: s.enabled,
});
const storeResponse = z.object({
  id: z.number(),
  name: z.string(),
  store_type: z.string(),
  free_space: z.number(),
  ingestable: z.boolean(),
  available: z.boolean(),
  enabled: z.boolean(),
});

export const adminStoreEndpoints = [
  endpoint({
    path: '/admin/stores/list',
    level: 'ADMIN',
    summary: 'Every store with its free space (bytes; -1 when not mounted) and state.',
    body: z.object({}).passthrough(),
    response: z.array(storeResponse),
    handler: async ({ domain }) => (await domain.stores.list()).map(storeOut),
  }),
  endpoint({
    path: '/admin/stores/state_change',
    level: 'ADMIN',
    summary: 'Enable or disable a store for new data.',
    body: z.object({ store_name: z.string(), enabled: z.boolean() }),
    response: z.object({ store_name: z.string(), enabled: z.boolean(), success: z.literal(true) }),
    errors: [400],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => {
      const s = await domain.stores.setEnabled(body.store_name, body.enabled);
      return { store_name: s.name, enabled: s.enabled, success: true };
    },
  }),
  endpoint({
    path: '/admin/stores/check',
    level: 'ADMIN',
    summary: 'Run the store health-check workflow for one store and return its verdict.',
    body: z.object({ store_name: z.string() }),
    errors: [404, 503],
    handler: async ({ body, flows }) => {
      const r = await flows.runNow.storeHealthCheck(body.store_name);
      const s = r.stores[0]!;
      return { workflow_id: r.workflowId, ...storeOut(s), writable: s.writable, full: s.full, problem: s.problem ?? null };
    },
  }),
];
