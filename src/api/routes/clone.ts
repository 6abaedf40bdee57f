import { z } from 'zod';
import type { BatchStageResult, CloneItem } from '../../domain/clone/receiver';
import { LibrarianError } from '../../shared/errors';
import { statusName, type TransferStatus } from '../../shared/transferStatus';
import type { BatchStageResponse, StagedClone, TransferProviders, V2AsyncProviders } from '../../shared/wire';
import { v2Providers } from './upload';
import { endpoint } from '../endpoint';

const itemSchema = z.object({
  upload_size: z.number().int(),
  upload_checksum: z.string().min(1),
  upload_name: z.string().min(1),
  destination_location: z.string().min(1),
  uploader: z.string().min(1),
  source_transfer_id: z.number().int(),
  /** The file's original creation time (kept by the destination). */
  create_time: z.coerce.date().optional(),
});

const toItem = (u: z.output<typeof itemSchema>): CloneItem => ({
  uploadSize: u.upload_size,
  uploadChecksum: u.upload_checksum,
  destination: u.destination_location,
  uploader: u.uploader,
  sourceTransferId: u.source_transfer_id,
  createTime: u.create_time,
});

const statusSchema = z.union([z.number().int(), z.string()]).transform((v, ctx): TransferStatus => {
  const s = statusName(v);
  if (!s) {
    ctx.addIssue({ code: 'custom', message: `unknown transfer status ${JSON.stringify(v)}` });
    return z.NEVER;
  }
  return s;
});

const idsPair = z.object({ source_transfer_id: z.number().int(), destination_transfer_id: z.number().int() });

function providers(r: BatchStageResult): TransferProviders {
  return {
    ...(r.transferMethods.local ? { local: r.transferMethods.local } : {}),
    ...(r.transferMethods.globus ? { globus: { endpoint_id: r.transferMethods.globus.endpointId, root: r.transferMethods.globus.root } } : {}),
  };
}

/** Our offers with v2's fields added (v2 peers parse them; ours read only their own), Globus first. */
function asyncProviders(r: BatchStageResult): TransferProviders & V2AsyncProviders {
  const { local, globus } = r.transferMethods;
  return {
    ...(globus
      ? {
          globus: {
            endpoint_id: globus.endpointId,
            root: globus.root,
            destination_endpoint: globus.endpointId,
            native_app: false,
            transfer_attempted: false,
            transfer_complete: false,
            task_id: '',
          },
        }
      : {}),
    ...(local ? { local: { hostnames: v2Providers({ local }).local!.hostnames, transfer_attempted: false, transfer_complete: false, start_time_transfer: null, bytes_transfer: null } } : {}),
  };
}

/**
 * A v2 sender's batch that cannot be staged whole: v2's answer (wire-v2.md §2.3 #7), one
 * top-level error, ongoing (425) before already here (409) before the rest. On a 409 the sender
 * checks each listed file with search/file and records our copy, so it is not sent again.
 */
function v2BatchRefusal(r: BatchStageResult): LibrarianError {
  const ongoing = r.refused.filter((x) => x.status === 425);
  const [status, reason, ids] =
    ongoing.length > 0
      ? [425, 'Transfer is ongoing.', ongoing.map((x) => x.sourceTransferId)]
      : r.alreadyPresent.length > 0
        ? [409, 'File already exists on librarian.', [...r.alreadyPresent.map((p) => p.sourceTransferId), ...r.refused.filter((x) => x.status === 409).map((x) => x.sourceTransferId)]]
        : [r.refused[0]!.status, r.refused[0]!.reason, r.refused.map((x) => x.sourceTransferId)];
  const detail = [...r.alreadyPresent.map((p) => `${p.sourceTransferId}: already here`), ...r.refused.map((x) => `${x.sourceTransferId}: ${x.reason}`)].join('; ');
  return new LibrarianError(status, reason, `Nothing of this batch was staged (${detail}); send the other files again without these.`, {
    source_transfer_ids: ids,
    destination_transfer_ids: ids.map(() => -1),
  });
}

function stagedOut(s: BatchStageResult['staged'][number]): StagedClone {
  return {
    staging_name: s.stagingName,
    staging_location: s.stagingLocation,
    upload_name: s.uploadName,
    destination_location: s.destination,
    source_transfer_id: s.sourceTransferId,
    destination_transfer_id: s.destinationTransferId,
  };
}

export const cloneEndpoints = [
  endpoint({
    path: '/clone/batch_stage',
    level: 'READAPPEND',
    summary:
      'Destination side: stage a batch of files a peer is about to send. Senders that send extensions: 1 get an answer per item: staged (with its staging location), already_present (same checksum: the sender records the copy), or refused (with status and reason); one bad item never refuses the batch. Without it (v2 peers), as v2 answers: the whole batch staged, or nothing and one error (425 ongoing, 409 already here, else the first refusal) with source_transfer_ids.',
    body: z.object({ source: z.string().min(1), uploads: z.array(itemSchema).max(10_000), total_size: z.number().int().optional(), extensions: z.number().int().optional() }),
    status: 201,
    errors: [403, 406, 409, 413, 425],
    handler: async ({ body, flows, principal }): Promise<BatchStageResponse> => {
      // Without our extensions: a v2 peer, which knows neither already_present nor refused.
      const v2 = body.extensions === undefined;
      const r = await flows.clone.stageIncoming(principal!, body.source, body.uploads.map(toItem), { allOrNothing: v2, askCreateTime: v2 });
      if (v2 && (r.alreadyPresent.length > 0 || r.refused.length > 0)) throw v2BatchRefusal(r);
      return {
        available_bytes_on_store: r.availableBytes,
        // v2 peers require a string here.
        store_name: r.storeName ?? (v2 ? '' : null),
        uploads: r.staged.map(stagedOut),
        already_present: r.alreadyPresent.map((p) => ({ source_transfer_id: p.sourceTransferId, store_id: p.storeId, checksum: p.checksum })),
        refused: r.refused.map((x) => ({ source_transfer_id: x.sourceTransferId, status: x.status, reason: x.reason })),
        async_transfer_providers: asyncProviders(r),
      };
    },
  }),
  endpoint({
    path: '/clone/stage',
    level: 'READAPPEND',
    summary: 'Destination side: stage one file a peer is about to send.',
    body: itemSchema.extend({ source: z.string().min(1) }),
    status: 201,
    errors: [403, 409, 413, 425],
    handler: async ({ body, flows, principal }) => {
      const r = await flows.clone.stageIncoming(principal!, body.source, [toItem(body)]);
      if (r.alreadyPresent[0]) throw new LibrarianError(409, 'File already exists on librarian.', 'Nothing to send: the destination has it with the same checksum.', { store_id: r.alreadyPresent[0].storeId, already_present: true });
      if (r.refused[0]) throw new LibrarianError(r.refused[0].status, r.refused[0].reason, 'See the reason; the file may be offered again later.');
      return { available_bytes_on_store: r.availableBytes, store_name: r.storeName, transfer_providers: providers(r), ...stagedOut(r.staged[0]!) };
    },
  }),
  endpoint({
    path: '/clone/ongoing',
    level: 'READAPPEND',
    summary: 'Destination side: the sender started moving the data (INITIATED → ONGOING).',
    body: idsPair,
    errors: [403, 404, 406],
    handler: async ({ body, domain, principal }) => {
      await domain.cloneReceiver.ongoing(principal!, body.destination_transfer_id);
      return { ...body, success: true };
    },
  }),
  endpoint({
    path: '/clone/staged',
    level: 'CALLBACK',
    summary: 'Destination side: the data is in the staging area (ONGOING → STAGED); verification and commit start.',
    body: idsPair,
    errors: [403, 404, 406],
    handler: async ({ body, flows, principal }) => {
      await flows.clone.incomingStaged(principal!, body.destination_transfer_id);
      return { ...body, success: true };
    },
  }),
  endpoint({
    path: '/clone/fail',
    level: 'READAPPEND',
    summary: 'Destination side: the sender gave up on this transfer; its staging is removed.',
    body: idsPair.extend({ reason: z.string().default('no reason given') }),
    errors: [403, 404, 406],
    handler: async ({ body, flows, principal }) => {
      await flows.clone.incomingFailed(principal!, body.destination_transfer_id, body.reason);
      return { source_transfer_id: body.source_transfer_id, destination_transfer_id: body.destination_transfer_id, success: true };
    },
  }),
  endpoint({
    path: '/clone/complete',
    level: 'CALLBACK',
    summary: "Source side: the destination verified and catalogued the file; it becomes a RemoteInstance. Only the destination's own account may call it.",
    body: idsPair.extend({ store_id: z.number().int() }),
    errors: [404],
    handler: async ({ body, flows, principal }) => {
      const r = await flows.clone.outgoingCompleted(principal!, body.source_transfer_id, body.store_id);
      return { ...body, success: true, file_name: r.fileName };
    },
  }),
  endpoint({
    path: '/checkin/update',
    level: 'CALLBACK',
    summary:
      'Change the status of transfers between two Librarians: source_transfer_ids are our outgoing transfers (the destination reports on them), destination_transfer_ids our incoming ones (the sender reports). Allowed: INITIATED→ONGOING/STAGED/FAILED/CANCELLED, ONGOING→STAGED/FAILED/CANCELLED, STAGED→FAILED/CANCELLED; each row only by the peer it concerns.',
    body: z.object({
      source_transfer_ids: z.array(z.number().int()).default([]),
      destination_transfer_ids: z.array(z.number().int()).default([]),
      new_status: statusSchema,
      reason: z.string().optional(),
    }),
    handler: ({ body, flows, principal }) =>
      flows.clone.checkinUpdate(principal!, { sourceIds: body.source_transfer_ids, destinationIds: body.destination_transfer_ids, to: body.new_status, reason: body.reason }),
  }),
  endpoint({
    path: '/checkin/status',
    level: 'CALLBACK',
    summary: 'Status of transfers between two Librarians (null: not found or not yours), and for incoming ones the store that holds them.',
    body: z.object({ source_transfer_ids: z.array(z.number().int()).default([]), destination_transfer_ids: z.array(z.number().int()).default([]) }),
    handler: ({ body, domain, principal }) => domain.cloneCallbacks.checkinStatus(principal!, { sourceIds: body.source_transfer_ids, destinationIds: body.destination_transfer_ids }),
  }),
];
