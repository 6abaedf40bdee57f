import type { StoreView } from '../../domain/stores/stores';
import { stores } from '../../protocol';
import { route } from '../endpoint';

const storeOut = (s: StoreView) => ({
  id: s.id,
  name: s.name,
  store_type: s.storeType,
  free_space: s.freeSpace,
  ingestable: s.ingestable,
  available: s.available,
  enabled: s.enabled,
  health_problem: s.healthProblem,
});

export const adminStoreEndpoints = [
  route(stores.list, {
    level: 'ADMIN',
    summary: 'Every store with its free space (bytes; -1 when not mounted) and state.',
    handler: async ({ domain }) => (await domain.stores.list()).map(storeOut),
  }),
  route(stores.stateChange, {
    level: 'ADMIN',
    summary: 'Enable or disable a store for new data.',
    errors: [400],
    statusAs: { 404: 400 },
    handler: async ({ body, domain }) => {
      const s = await domain.stores.setEnabled(body.store_name, body.enabled);
      return { store_name: s.name, enabled: s.enabled, success: true as const };
    },
  }),
  route(stores.check, {
    level: 'ADMIN',
    summary: 'Run the store health-check workflow for one store and return its verdict (a store not mounted or not writable is disabled).',
    errors: [404, 503],
    handler: async ({ body, flows }) => {
      const r = await flows.runNow.storeHealthCheck(body.store_name);
      const s = r.stores[0]!;
      return { workflow_id: r.workflowId, ...storeOut(s), writable: s.writable, full: s.full, problem: s.problem ?? null };
    },
  }),
];
