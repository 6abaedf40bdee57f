import { z } from 'zod';
import { call, timeInput } from './call';
import { accountName, checksum, fileNameField } from './fields';

export const imported = z.object({
  path: z.string(),
  file_name: z.string(),
  outcome: z.enum(['catalogued', 'instance-added', 'already-catalogued']),
  checksum: z.string(),
  size: z.number().int().nonnegative(),
  instance_id: z.number().int(),
});

export const run = call(
  'admin/import',
  z.object({
    store_name: z.string().min(1),
    /** Relative to the store root (then at most 512 bytes, as a File name) or absolute inside it. */
    path: z.string().min(1).max(4096),
    depth: z.number().int().min(0).max(10).default(0),
    name: fileNameField('file name').optional(),
  }),
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
    name: fileNameField('file name'),
    /** v2 servers ignore it and stamp now; ours keep it. */
    create_time: timeInput,
    size: z.number().int().nonnegative(),
    checksum,
    uploader: accountName,
    source: accountName,
    /** Absolute, inside the store root. */
    path: z.string().min(1).max(4096),
    store_name: z.string().min(1),
  }),
  // v2's AdminCreateFileResponse; file_exists is "the file was added" (false when already_exists).
  z.object({ already_exists: z.boolean(), file_exists: z.boolean(), success: z.boolean() }),
);
