import { z } from 'zod';
import { numberOrName } from '../shared/patterns';
import { TRANSFER_STATUSES } from '../shared/transferStatus';
import { call, dataCall } from './call';
import { accountName, catalogId, checksum, fileName, uploadName } from './fields';

/**
 * The v2 Python client sends its DeletionPolicy enum as the string "0" or "1" (wire-v2.md §4.3).
 * The v2 server read every such value as DISALLOWED (inventory §10.1 #2); here they mean what the
 * client meant. Numbers and names work too, names in any case; anything else is refused rather
 * than guessed.
 */
export const policyValue = numberOrName([0, 1], ['0', '1', 'ALLOWED', 'DISALLOWED'], (v) => `${JSON.stringify(v)} is not a deletion policy; use "allowed" or "disallowed" (1 or 0)`).transform((v): 'ALLOWED' | 'DISALLOWED' => (['1', 'ALLOWED'].includes(String(v).toUpperCase()) ? 'ALLOWED' : 'DISALLOWED'));

/** DISALLOWED when not given. */
export const deletionPolicy = policyValue.optional().transform((v) => v ?? 'DISALLOWED');

export const transferId = catalogId.positive();
/** The same in a path (upload/{transfer_id}/data): decimal digits. */
export const transferIdParam = z.string().regex(/^[0-9]+$/).transform(Number).pipe(transferId);

/** How a client may put data into staging: by copy, from these hosts (empty: any that sees it). */
export const localProvider = z.object({ hostnames: z.array(z.string()) });

export const stage = call(
  'upload/stage',
  z.object({
    upload_size: z.number().int().nonnegative('Upload size must be positive.'),
    /**
     * Required by v2 servers. Ours take it here or at commit: a client that leaves it out
     * declares it with upload/commit, so it can hash the data while it copies it into staging.
     */
    upload_checksum: checksum.optional().describe('checksum of the data; may be left out and declared with upload/commit instead (not on v2 servers)'),
    upload_name: uploadName,
    destination_location: fileName,
    /** v2 servers require it; ours default it to the account. */
    uploader: accountName.optional(),
  }),
  z.object({
    transfer_id: z.number().int(),
    available_bytes_on_store: z.number(),
    store_name: z.string(),
    staging_name: z.string(),
    staging_location: z.string(),
    upload_name: z.string(),
    destination_location: z.string(),
    transfer_providers: z.object({ local: localProvider.optional() }),
    /** Not from v2 servers, which take data only by copy into staging_location. */
    http_upload: z.object({ url: z.string(), status: z.string() }).optional(),
    /** Not from v2 servers. */
    superseded_transfer_ids: z.array(z.number().int()).optional(),
  }),
);

/** What a PUT of data to upload/{transfer_id}/data answers. Not on v2 servers. */
export const dataAnswer = z.object({
  transfer_id: z.number().int(),
  received_bytes: z.number().int().nonnegative(),
  upload_size: z.number().int().nonnegative(),
  complete: z.boolean(),
  /** For a directory (tar stream): how many of its files are held so far (upload/status lists them). */
  received_files: z.number().int().optional(),
});

/**
 * PUT upload/{transfer_id}/data: the data of a staged upload, a file's raw bytes or a directory's
 * tar stream. Not on v2 servers.
 */
export const data = dataCall<{ transfer_id: number }, typeof dataAnswer>('upload/:transfer_id/data', dataAnswer);

/** What the server holds of a staged upload, for resuming an HTTP upload. Not on v2 servers. */
export const status = call(
  'upload/status',
  z.object({ transfer_id: transferId }),
  z.object({
    transfer_id: z.number().int(),
    status: z.enum(TRANSFER_STATUSES),
    upload_size: z.number().int().nonnegative(),
    received_bytes: z.number().int().nonnegative(),
    complete: z.boolean(),
    received_files: z.array(z.object({ path: z.string(), size: z.number().int().nonnegative() })),
    failure_reason: z.string().nullable(),
    /**
     * While the commit verifies (or copies) the data: the step and the bytes it has done, as of
     * its last heartbeat (total 0 until the first). Null otherwise.
     */
    verification: z.object({ step: z.string(), done: z.number().int().nonnegative(), total: z.number().int().nonnegative() }).nullish(),
  }),
);

export const commit = call(
  'upload/commit',
  // v2 clients send the whole staging answer back, and v2 servers require it; we read the first two.
  z
    .object({
      transfer_id: transferId,
      deletion_policy: deletionPolicy,
      store_name: z.string().optional(),
      staging_name: z.string().optional(),
      staging_location: z.string().optional(),
      upload_name: z.string().optional(),
      destination_location: z.string().optional(),
      transfer_provider_name: z.string().optional(),
      transfer_provider: z.record(z.string(), z.unknown()).optional(),
      meta_mode: z.string().optional(),
      uploader: z.string().optional(),
      null_obsid: z.boolean().optional(),
      /** Not on v2 servers: the checksum of an upload staged without one (the same again is fine). */
      upload_checksum: checksum.optional().describe('the checksum of the data, when upload/stage did not declare it (not on v2 servers)'),
    })
    .passthrough(),
  z
    .object({
      success: z.literal(true),
      transfer_id: z.number().int(),
      file_name: z.string(),
      instance_id: z.number().int(),
      store_name: z.string(),
      path: z.string(),
    })
    // v2 servers answer an empty body.
    .nullable(),
);
