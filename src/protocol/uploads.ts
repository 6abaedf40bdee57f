import { z } from 'zod';
import { call } from './call';
import { accountName, fileName, uploadName } from './fields';

/**
 * The v2 Python client sends its DeletionPolicy enum as the string "0" or "1" (wire-v2.md §4.3).
 * The v2 server read every such value as DISALLOWED (inventory §10.1 #2); here they mean what the
 * client meant. Names work too, in any case; anything else is refused rather than guessed.
 */
export const deletionPolicy = z
  .union([z.literal(0), z.literal(1), z.string()])
  .optional()
  .transform((v, ctx): 'ALLOWED' | 'DISALLOWED' => {
    const s = v === undefined ? 'DISALLOWED' : String(v).trim().toUpperCase();
    if (s === '1' || s === 'ALLOWED') return 'ALLOWED';
    if (s === '0' || s === 'DISALLOWED') return 'DISALLOWED';
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a deletion policy; use "allowed" or "disallowed" (1 or 0)` });
    return z.NEVER;
  });

export const transferId = z.coerce.number().int().positive();

/** How a client may put data into staging: by copy, from these hosts (empty: any that sees it). */
export const localProvider = z.object({ hostnames: z.array(z.string()) });

export const stage = call(
  'upload/stage',
  z.object({
    upload_size: z.number().int().nonnegative('Upload size must be positive.'),
    upload_checksum: z.string().min(1),
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
  received_bytes: z.number(),
  upload_size: z.number(),
  complete: z.boolean(),
  /** For a directory (tar stream): how many of its files are held so far (upload/status lists them). */
  received_files: z.number().int().optional(),
});

/** What the server holds of a staged upload, for resuming an HTTP upload. Not on v2 servers. */
export const status = call(
  'upload/status',
  z.object({ transfer_id: transferId }),
  z.object({
    transfer_id: z.number().int(),
    status: z.string(),
    upload_size: z.number(),
    received_bytes: z.number(),
    complete: z.boolean(),
    received_files: z.array(z.object({ path: z.string(), size: z.number() })),
    failure_reason: z.string().nullable(),
  }),
);

export const commit = call(
  'upload/commit',
  // v2 clients send the whole staging answer back (and v2 servers require it); we read two fields.
  z.object({ transfer_id: transferId, deletion_policy: deletionPolicy }).passthrough(),
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
