import { z } from 'zod';
import { durationSchema } from '../shared/durations';
import { call, time } from './call';
import { catalogId } from './fields';

/** One Librarian's answer about its copy, as a deletion weighed it. */
export const copyEvidence = z.object({
  librarian: z.string(),
  matches: z.boolean(),
  /** When it last verified a matching copy; null: it holds none. */
  verified_at: time.nullable(),
  /** Why it does not count, when it does not. */
  problem: z.string().optional(),
});

/** What was (or would be) done with one local instance, and why. instances/delete also sends it as the body of its 409 (kept). */
export const decision = z.object({
  instance_id: z.number().int(),
  /** Null when the instance no longer exists. */
  file_name: z.string().nullable(),
  store_name: z.string().nullable(),
  action: z.enum(['deleted', 'would-delete', 'kept']),
  /** Why it was kept (empty otherwise). */
  reasons: z.array(z.string()),
  evidence: z.array(copyEvidence),
});

export const run = call(
  'admin/deletion/run',
  z.object({ policy: z.string().min(1), dry_run: z.boolean().default(false) }),
  z.object({
    policy: z.string(),
    dry_run: z.boolean(),
    considered: z.number().int(),
    deleted: z.number().int(),
    would_delete: z.number().int(),
    kept: z.number().int(),
    /** The first 1000. */
    decisions: z.array(decision),
  }),
);

/** As recorded at the deletion, camelCase as stored: the copies it relied on and its guard. */
export const recordedEvidence = z.object({
  copies: z
    .array(z.object({ librarian: z.string(), verifiedAt: time.nullable(), matches: z.boolean(), hashedOnRequest: z.boolean().optional(), problem: z.string().optional() }))
    .optional(),
  minCopies: z.number().int().optional(),
  verifiedWithinMs: z.number().optional(),
  olderThanMs: z.number().nullable().optional(),
  /** An admin's decision: the policy, reader and peer checks were skipped. */
  forced: z.boolean(),
  /** v2 delete_local without delete_file: only the row went, the data stays on disk. */
  dataKept: z.boolean().optional(),
});

export const log = call(
  'admin/deletion/log',
  z.object({ file_name: z.string().min(1).optional(), limit: z.number().int().positive().max(10_000).default(1000) }),
  z.object({
    deletions: z.array(
      z.object({
        id: z.number().int(),
        file_name: z.string(),
        store_id: z.number().int(),
        instance_id: z.number().int(),
        path: z.string(),
        /** The rolling-deletion policy, or "operator:<username>". */
        by: z.string(),
        deleted_at: time,
        evidence: recordedEvidence,
      }),
    ),
  }),
);

export const deleteInstance = call(
  'instances/delete',
  z.object({
    file_name: z.string().min(1),
    store_name: z.string().min(1).optional(),
    min_copies: z.number().int().min(1).default(1),
    verified_within: durationSchema.prefault(2 * 86_400),
    force: z.boolean().default(false),
    dry_run: z.boolean().default(false),
  }),
  decision,
);

/** v2 sends instance_id as an int (its client coerces a string first); accept both. delete_file is unused by delete_remote. */
const v2InstanceRequest = z.object({ instance_id: z.union([catalogId, z.string().regex(/^\d+$/).transform(Number).pipe(catalogId)]), delete_file: z.boolean().nullable().optional() });

/** An unknown id is a 400 whose body is {success: false, instance_id}. */
const v2InstanceAnswer = z.object({ success: z.literal(true), instance_id: z.number().int() });

export const deleteLocal = call('admin/instance/delete_local', v2InstanceRequest, v2InstanceAnswer);
export const deleteRemote = call('admin/instance/delete_remote', v2InstanceRequest, v2InstanceAnswer);
