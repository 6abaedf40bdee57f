import { z } from 'zod';
import { call, time, timeInput } from './call';
import { accountName, catalogId, checksum, fileName } from './fields';

/**
 * Sent by our senders in clone/batch_stage (v2 peers ignore unknown fields). A request without it
 * comes from a v2 peer, which gets v2's answers: all of the batch staged or none, with a
 * top-level error listing `source_transfer_ids` (it registers the copies on a 409).
 */
export const CLONE_EXTENSIONS = 1;

/**
 * One file a peer offers. The items of a batch are checked one by one (a bad one is refused in the
 * answer, the others staged: one file with a name we cannot store never holds up the rest), so
 * here only lengths no file could have are refused; clone/stage checks its one item exactly.
 * upload_name is not read (v2 peers send the File's name; the last segment of
 * destination_location names the staged data).
 */
export const item = z.object({
  upload_size: z.number().int(),
  upload_checksum: z.string().min(1).max(256),
  upload_name: z.string().min(1).max(4096),
  destination_location: z.string().min(1).max(4096),
  uploader: z.string().min(1).max(4096),
  source_transfer_id: catalogId,
  /** The file's original creation time (kept by the destination). Not from v2 peers. */
  create_time: timeInput.optional(),
});

const localOffer = z.object({ hostnames: z.array(z.string()) });
const globusOffer = z.object({ endpoint_id: z.string(), root: z.string() });

/** How a destination offers to receive one file's data (clone/stage; Globus only to callers sending extensions). */
export const providers = z.object({ local: localOffer.optional(), globus: globusOffer.optional() });

/**
 * The same offers with the fields v2 peers parse too (wire-v2.md §4.5: they tell Globus by
 * `destination_endpoint`, local by `hostnames`, and use the first), Globus first: a v2 peer at
 * another site can use only that. A v2 peer's own offers lack endpoint_id and root.
 */
export const asyncProviders = z.object({
  globus: z
    .object({
      endpoint_id: z.string().optional(),
      root: z.string().optional(),
      destination_endpoint: z.string().optional(),
      native_app: z.boolean().optional(),
      transfer_attempted: z.boolean().optional(),
      transfer_complete: z.boolean().optional(),
      task_id: z.string().nullish(),
    })
    .optional(),
  local: z
    .object({
      hostnames: z.array(z.string()),
      transfer_attempted: z.boolean().optional(),
      transfer_complete: z.boolean().optional(),
      start_time_transfer: time.nullish(),
      bytes_transfer: z.number().nullish(),
    })
    .optional(),
});

export const stagedItem = z.object({
  staging_name: z.string(),
  staging_location: z.string(),
  upload_name: z.string(),
  destination_location: z.string(),
  source_transfer_id: z.number().int(),
  destination_transfer_id: z.number().int(),
});

export const batchStage = call(
  'clone/batch_stage',
  z.object({
    source: accountName,
    uploads: z.array(item).max(10_000),
    total_size: z.number().int().optional(),
    /** CLONE_EXTENSIONS: the sender reads per-item `already_present` and `refused`. */
    extensions: z.number().int().optional(),
  }),
  z.object({
    available_bytes_on_store: z.number(),
    /** Null (to our senders) when nothing was staged. */
    store_name: z.string().nullable(),
    uploads: z.array(stagedItem),
    /** Not from v2 peers (they refuse the whole batch instead). */
    already_present: z.array(z.object({ source_transfer_id: z.number().int(), store_id: z.number().int(), checksum: z.string() })).optional(),
    refused: z.array(z.object({ source_transfer_id: z.number().int(), status: z.number().int().min(400).max(599), reason: z.string() })).optional(),
    async_transfer_providers: asyncProviders,
  }),
);

/** A v2 peer's refusal of a whole batch (the error body of a 406, 409 or 425). */
export const batchRefusal = z.object({ source_transfer_ids: z.array(z.number().int()) });

export const stage = call(
  'clone/stage',
  item.extend({
    upload_size: z.number().int().nonnegative('Upload size must be positive.'),
    upload_checksum: checksum,
    destination_location: fileName,
    uploader: accountName,
    source: accountName,
    /** CLONE_EXTENSIONS: the caller reads a Globus offer too (v2 callers, without it, only local). */
    extensions: z.number().int().optional(),
  }),
  stagedItem.extend({ available_bytes_on_store: z.number(), store_name: z.string().nullable(), transfer_providers: providers }),
);

const idsPair = z.object({ source_transfer_id: catalogId, destination_transfer_id: catalogId });

export const ongoing = call('clone/ongoing', idsPair, idsPair.extend({ success: z.boolean().optional() }));

export const staged = call('clone/staged', idsPair, idsPair.extend({ success: z.boolean() }));

export const fail = call('clone/fail', idsPair.extend({ reason: z.string().default('no reason given') }), idsPair.extend({ success: z.boolean() }));

export const complete = call(
  'clone/complete',
  idsPair.extend({ store_id: catalogId }),
  idsPair.extend({
    /** Not from v2 peers. */
    success: z.boolean().optional(),
    store_id: z.number().int().optional(),
    file_name: z.string().optional(),
  }),
);
