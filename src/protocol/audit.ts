import { z } from 'zod';
import { anyCase } from '../shared/patterns';
import { call, time } from './call';

/** One store, or every store when absent. */
const storeRequest = z.object({ store_name: z.string().min(1).optional() });

const KINDS = ['LOST', 'CORRUPT', 'DARK'] as const;

/** Any case: the CLI sends its --kind as given. */
const kind = z
  .string()
  .regex(anyCase(KINDS), { error: (iss) => `${JSON.stringify(iss.input)} is not a kind of finding; use one of ${KINDS.join(', ')}` })
  .transform((v) => v.toUpperCase() as (typeof KINDS)[number]);

export const run = call('admin/audit/run', storeRequest, z.object({ audits: z.array(z.object({ store_name: z.string(), workflow_id: z.string() })) }));

export const statusRow = z.object({
  store_name: z.string(),
  workflow_id: z.string(),
  running: z.boolean(),
  phase: z.enum(['planning', 'hashing', 'scanning', 'done', 'skipped']),
  /** Instances and bytes due when the audit started. */
  total: z.number().int(),
  total_bytes: z.number().int().nonnegative(),
  checked: z.number().int(),
  bytes: z.number().int().nonnegative(),
  good: z.number().int(),
  lost: z.number().int(),
  corrupt: z.number().int(),
  /** Null until the scan for dark data ran. */
  dark: z.number().int().nullable(),
  /** Why nothing (or not everything) was audited. */
  skipped: z.string().nullable(),
  finished: z.boolean(),
});

/** Stores never audited are left out. */
export const status = call('admin/audit/status', storeRequest, z.object({ audits: z.array(statusRow) }));

export const finding = z.object({
  id: z.number().int(),
  kind: z.enum(KINDS),
  store_name: z.string(),
  /** Relative to the store root. */
  path: z.string(),
  /** None for dark data; kept after the file or instance is gone. */
  file_name: z.string().nullable(),
  instance_id: z.number().int().nullable(),
  detail: z.string(),
  first_seen: time,
  last_seen: time,
  /** Times seen while open. */
  count: z.number().int(),
  resolved_at: time.nullable(),
  resolution: z.string().nullable(),
  /** The latest outcome of its repair. */
  repair: z.string().nullable(),
});

export const report = call(
  'admin/audit/report',
  z.object({ kind: kind.optional(), store_name: z.string().min(1).optional(), include_resolved: z.boolean().default(false) }),
  z.object({ findings: z.array(finding) }),
);
