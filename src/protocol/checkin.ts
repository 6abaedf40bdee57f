import { z } from 'zod';
import { statusName, type TransferStatus } from '../shared/transferStatus';
import { call } from './call';

/** TransferStatus as v2 sends it (its number), or its name. */
const transferStatus = z.union([z.number().int(), z.string()]).transform((v, ctx): TransferStatus => {
  const s = statusName(v);
  if (!s) {
    ctx.addIssue({ code: 'custom', message: `unknown transfer status ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return s;
});

const ids = z.array(z.number().int()).default([]);
/** Transfer id → its TransferStatus wire value (null: not found or not yours). */
const statusById = z.record(z.string(), z.number().int().nullable());

export const update = call(
  'checkin/update',
  z.object({ source_transfer_ids: ids, destination_transfer_ids: ids, new_status: transferStatus, reason: z.string().optional() }),
  z.object({
    modified_source_transfer_ids: z.array(z.number().int()),
    modified_destination_transfer_ids: z.array(z.number().int()),
    unmodified_source_transfer_ids: z.array(z.number().int()),
    unmodified_destination_transfer_ids: z.array(z.number().int()),
    reasons: z.array(z.string()),
    /** Where each incoming transfer named now stands. Not from v2 peers. */
    destination_transfer_status: statusById.optional(),
  }),
);

export const status = call(
  'checkin/status',
  z.object({ source_transfer_ids: ids, destination_transfer_ids: ids }),
  z.object({
    source_transfer_status: statusById,
    destination_transfer_status: statusById,
    /** For incoming transfers that are COMPLETED: the store that holds the file. Not from v2 peers. */
    destination_transfer_store_ids: z.record(z.string(), z.number().int().nullable()).optional(),
    /** For incoming transfers that FAILED or were CANCELLED: why (else null). Not from v2 peers. */
    destination_transfer_reasons: z.record(z.string(), z.string().nullable()).optional(),
  }),
);
