import { z } from 'zod';
import { LibrarianError } from '../../errors';
import type { BatchStageResult, CloneItem } from '../../services/cloneReceive';
import { signalBatches, signalIncoming, startReceiveWorkflows } from '../../services/cloneWorkflows';
import { STATUS_VALUE, statusName, type TransferStatus } from '../../services/transferStatus';
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

function providers(r: BatchStageResult) {
  return {
    ...(r.transferMethods.local ? { local: r.transferMethods.local } : {}),
    ...(r.transferMethods.globus ? { globus: { endpoint_id: r.transferMethods.globus.endpointId, root: r.transferMethods.globus.root } } : {}),
  };
}

function stagedOut(s: BatchStageResult['staged'][number]) {
  return {
    staging_name: s.stagingName,
    staging_location: s.stagingLocation,
    upload_name: s.uploadName,
    destination_location: s.destination,
    source_transfer_id: s.sourceTransferId,
    destination_transfer_id: s.destinationTransferId,
  };
}

const values = (m: Record<number, TransferStatus | null>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v === null ? null : STATUS_VALUE[v]]));

export const cloneEndpoints = [
  endpoint({
    path: '/clone/batch_stage',
    level: 'READAPPEND',
    summary:
      'Destination side: stage a batch of files a peer is about to send. Answers per item: staged (with its staging location), already_present (same checksum: the sender records the copy), or refused (with status and reason); one bad item never refuses the batch.',
    body: z.object({ source: z.string().min(1), uploads: z.array(itemSchema).max(10_000), total_size: z.number().int().optional() }),
    status: 201,
    errors: [403],
    handler: async ({ body, services, principal }) => {
      const r = await services.cloneReceive.batchStage(principal!, body.source, body.uploads.map(toItem));
      await startReceiveWorkflows(services, r.created, body.source);
      return {
        available_bytes_on_store: r.availableBytes,
        store_name: r.storeName,
        uploads: r.staged.map(stagedOut),
        already_present: r.alreadyPresent.map((p) => ({ source_transfer_id: p.sourceTransferId, store_id: p.storeId, checksum: p.checksum })),
        refused: r.refused.map((x) => ({ source_transfer_id: x.sourceTransferId, status: x.status, reason: x.reason })),
        async_transfer_providers: providers(r),
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
    handler: async ({ body, services, principal }) => {
      const r = await services.cloneReceive.batchStage(principal!, body.source, [toItem(body)]);
      await startReceiveWorkflows(services, r.created, body.source);
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
    handler: async ({ body, services, principal }) => {
      await services.cloneReceive.step(principal!, body.destination_transfer_id, 'INITIATED', 'ONGOING');
      return { ...body, success: true };
    },
  }),
  endpoint({
    path: '/clone/staged',
    level: 'CALLBACK',
    summary: 'Destination side: the data is in the staging area (ONGOING → STAGED); verification and commit start.',
    body: idsPair,
    errors: [403, 404, 406],
    handler: async ({ body, services, principal }) => {
      const c = await services.cloneReceive.step(principal!, body.destination_transfer_id, 'ONGOING', 'STAGED');
      await signalIncoming(services, [{ id: c.id, to: 'STAGED' }]);
      return { ...body, success: true };
    },
  }),
  endpoint({
    path: '/clone/fail',
    level: 'READAPPEND',
    summary: 'Destination side: the sender gave up on this transfer; its staging is removed.',
    body: idsPair.extend({ reason: z.string().default('no reason given') }),
    errors: [403, 404, 406],
    handler: async ({ body, services, principal }) => {
      const c = await services.cloneReceive.fail(principal!, body.destination_transfer_id, body.reason);
      await signalIncoming(services, [{ id: c.id, to: 'FAILED' }]);
      return { source_transfer_id: body.source_transfer_id, destination_transfer_id: body.destination_transfer_id, success: true };
    },
  }),
  endpoint({
    path: '/clone/complete',
    level: 'CALLBACK',
    summary: "Source side: the destination verified and catalogued the file; it becomes a RemoteInstance. Only the destination's own account may call it.",
    body: idsPair.extend({ store_id: z.number().int() }),
    errors: [404],
    handler: async ({ body, services, principal }) => {
      const r = await services.cloneSend.complete(principal!, body.source_transfer_id, body.store_id);
      await signalBatches(services, [r.batchId]);
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
    handler: async ({ body, services, principal }) => {
      if (body.new_status === 'COMPLETED') {
        throw new LibrarianError(400, 'COMPLETED cannot be set with checkin/update.', 'The destination confirms a copy with clone/complete.');
      }
      const incoming = await services.cloneReceive.updateIncoming(principal!, body.destination_transfer_ids, body.new_status);
      await signalIncoming(services, incoming.modified.filter((c) => c.from !== c.to));
      const outgoing = await services.cloneSend.updateOutgoing(principal!, body.source_transfer_ids, body.new_status, body.reason);
      await signalBatches(services, outgoing.batches);
      return {
        modified_source_transfer_ids: outgoing.modified,
        modified_destination_transfer_ids: incoming.modified.map((c) => c.id),
        unmodified_source_transfer_ids: outgoing.unmodified,
        unmodified_destination_transfer_ids: incoming.unmodified,
        reasons: [...outgoing.reasons, ...incoming.reasons],
        destination_transfer_status: values(incoming.statuses),
      };
    },
  }),
  endpoint({
    path: '/checkin/status',
    level: 'CALLBACK',
    summary: 'Status of transfers between two Librarians (null: not found or not yours), and for incoming ones the store that holds them.',
    body: z.object({ source_transfer_ids: z.array(z.number().int()).default([]), destination_transfer_ids: z.array(z.number().int()).default([]) }),
    handler: async ({ body, services, principal }) => {
      const out = await services.cloneSend.statusOfOutgoing(principal!, body.source_transfer_ids);
      const inc = await services.cloneReceive.statusOfIncoming(principal!, body.destination_transfer_ids);
      return {
        source_transfer_status: values(out),
        destination_transfer_status: Object.fromEntries(Object.entries(inc).map(([k, v]) => [k, v ? STATUS_VALUE[v.status] : null])),
        destination_transfer_store_ids: Object.fromEntries(Object.entries(inc).map(([k, v]) => [k, v?.status === 'COMPLETED' ? v.storeId : null])),
      };
    },
  }),
];
