import { z } from 'zod';
import { call, time } from './call';

const batch = z.object({
  workflow_id: z.string(),
  type: z.string(),
  /** RUNNING, COMPLETED, FAILED... */
  status: z.string(),
  phase: z.string().nullable(),
  /** The step it waits for, with its attempt and last error; or why it waits. */
  waiting_for: z.string(),
  next_retry: time.nullable(),
  web_ui: z.string(),
});

/** Not on v2 servers. */
export const file = call(
  'admin/explain',
  z.object({ file_name: z.string().min(1), peer: z.string().min(1).optional() }),
  z.object({
    file: z.object({ name: z.string(), size: z.number().int(), checksum: z.string(), uploader: z.string(), source: z.string(), create_time: time, catalog_time: time }),
    instances: z.array(
      z.object({
        store: z.string(),
        path: z.string(),
        available: z.boolean(),
        deletion_policy: z.string(),
        /** When its bytes were last hashed, and whether they matched (null: never verified). */
        verified_at: time.nullable(),
        verified_same: z.boolean().nullable(),
      }),
    ),
    peers: z.array(
      z.object({
        peer: z.string(),
        /** When the peer confirmed its copy; null while it has none we know of. */
        confirmed_at: time.nullable(),
        sending_enabled: z.boolean(),
        /** Null when the file is there; otherwise why not yet. */
        why: z.string().nullable(),
        /** Newest first. */
        transfers: z.array(
          z.object({
            id: z.number().int(),
            status: z.string(),
            method: z.string().nullable(),
            batch_id: z.string().nullable(),
            started: time,
            ended: time.nullable(),
            failure_reason: z.string().nullable(),
          }),
        ),
        /** The batch or drive trip carrying it now, from Temporal (null when none is, or Temporal does not answer). */
        batch: batch.nullable(),
      }),
    ),
    /** Set when Temporal could not be asked about the batch carrying it. */
    temporal_problem: z.string().nullable(),
  }),
);
