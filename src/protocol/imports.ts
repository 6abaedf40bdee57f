import { z } from 'zod';
import { call, timeInput } from './call';

export const imported = z.object({
  path: z.string(),
  file_name: z.string(),
  outcome: z.enum(['catalogued', 'instance-added', 'already-catalogued']),
  checksum: z.string(),
  size: z.number(),
  instance_id: z.number().int(),
});

export const run = call(
  'admin/import',
  z.object({ store_name: z.string().min(1), path: z.string().min(1), depth: z.number().int().min(0).max(10).default(0), name: z.string().min(1).optional() }),
  z.object({
    entries: z.number().int(),
    catalogued: z.number().int(),
    instances_added: z.number().int(),
    already_catalogued: z.number().int(),
    failed: z.number().int(),
    /** The first 1000 outcomes. */
    results: z.array(z.union([imported, z.object({ path: z.string(), error: z.string() })])),
  }),
);

export const addFile = call(
  'admin/add_file',
  z.object({
    name: z.string().min(1),
    /** v2 servers ignore it and stamp now; ours keep it. */
    create_time: timeInput,
    size: z.number().int().nonnegative(),
    checksum: z.string().min(1),
    uploader: z.string().min(1),
    source: z.string().min(1),
    /** Absolute, inside the store root. */
    path: z.string().min(1),
    store_name: z.string().min(1),
  }),
  // v2's AdminCreateFileResponse; file_exists is "the file was added" (false when already_exists).
  z.object({ already_exists: z.boolean(), file_exists: z.boolean(), success: z.boolean() }),
);
