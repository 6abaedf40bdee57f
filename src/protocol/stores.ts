import { z } from 'zod';
import { call } from './call';

export const store = z.object({
  /** Not from v2 servers. */
  id: z.number().int().optional(),
  name: z.string(),
  store_type: z.string(),
  /** Bytes that may still be written; -1 when the store is not mounted. */
  free_space: z.number(),
  ingestable: z.boolean(),
  available: z.boolean(),
  enabled: z.boolean(),
  /** Not from v2 servers: why the last health check found the store failing (it was disabled then); null when it passed. */
  health_problem: z.string().nullable().optional(),
});

/** v2 clients send no body. */
export const list = call('admin/stores/list', z.object({}).passthrough(), z.array(store));

export const stateChange = call(
  'admin/stores/state_change',
  z.object({ store_name: z.string(), enabled: z.boolean() }),
  z.object({ store_name: z.string(), enabled: z.boolean(), success: z.literal(true) }),
);

/** The verdict of a store health-check workflow run now. Not on v2 servers. */
export const check = call(
  'admin/stores/check',
  z.object({ store_name: z.string() }),
  store.extend({
    id: z.number().int(),
    workflow_id: z.string(),
    writable: z.boolean(),
    full: z.boolean(),
    /** Why the store is unhealthy; null when it is healthy. */
    problem: z.string().nullable(),
  }),
);
