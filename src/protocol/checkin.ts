import { z } from 'zod';
import { numberOrName } from '../shared/patterns';
import { STATUS_VALUE, statusName, TRANSFER_STATUSES, type TransferStatus } from '../shared/transferStatus';
import { call } from './call';
import { catalogId } from './fields';

/** TransferStatus as v2 sends it (its number), or its name in any case. */
const transferStatus = numberOrName([0, 1, 2, 3, 4, 5], TRANSFER_STATUSES, (v) => `unknown transfer status ${JSON.stringify(v)}; use one of ${TRANSFER_STATUSES.map((s) => `${s} (${STATUS_VALUE[s]})`).join(', ')}`).transform((v): TransferStatus => statusName(v)!);

const ids = z.array(catalogId).default([]);
/** Transfer id → its TransferStatus wire value (null: not found or not yours). */
const statusById = z.record(z.string(), z.literal(Object.values(STATUS_VALUE)).nullable());

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
