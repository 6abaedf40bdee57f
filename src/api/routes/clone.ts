import type { z } from 'zod';
import type { BatchStageResult, CloneItem } from '../../domain/clone/receiver';
import { checkin, clone } from '../../protocol';
import { LibrarianError } from '../../shared/errors';
import { route } from '../endpoint';
import { v2Providers } from './upload';

const toItem = (u: z.output<typeof clone.item>): CloneItem => ({
  uploadSize: u.upload_size,
  uploadChecksum: u.upload_checksum,
  destination: u.destination_location,
  uploader: u.uploader,
  sourceTransferId: u.source_transfer_id,
  createTime: u.create_time,
});

/**
 * clone/stage's offers: v2's SneakerNet ingest copies only when its host is named (as its upload
 * does). v2 callers (without our `extensions`) parse every offer as a local one (its
 * transfer_providers are dict[str, LocalTransferManager], wire-v2.md §2.3 #6), so a Globus offer
 * would break their parse: they get the local offer only, as upload/stage gives everyone.
 */
function providers(r: BatchStageResult, v2: boolean): z.input<typeof clone.providers> {
  return {
    ...(r.transferMethods.local ? { local: v2Providers({ local: r.transferMethods.local }).local! } : {}),
    ...(r.transferMethods.globus && !v2 ? { globus: { endpoint_id: r.transferMethods.globus.endpointId, root: r.transferMethods.globus.root } } : {}),
  };
}

/** Our offers with v2's fields added (v2 peers parse them; ours read only their own), Globus first. */
function asyncProviders(r: BatchStageResult): z.input<typeof clone.asyncProviders> {
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
 * top-level error, ongoing (425) before already here (409) before its stale transfer failed
 * (406) before the rest. On a 409 the sender checks each listed file with search/file and
 * records our copy, so it is not sent again.
 */
function v2BatchRefusal(r: BatchStageResult): LibrarianError {
  const withStatus = (s: number) => r.refused.filter((x) => x.status === s).map((x) => x.sourceTransferId);
  const exists = [...r.alreadyPresent.map((p) => p.sourceTransferId), ...withStatus(409)];
  const [status, reason, ids]: [number, string, number[]] =
    withStatus(425).length > 0
      ? [425, 'Transfer is ongoing.', withStatus(425)]
      : exists.length > 0
        ? [409, 'File already exists on librarian.', exists]
        : withStatus(406).length > 0
          ? [406, 'Transfer was already initiated or staged.', withStatus(406)]
          : [r.refused[0]!.status, r.refused[0]!.reason, r.refused.map((x) => x.sourceTransferId)];
  const detail = [...r.alreadyPresent.map((p) => `${p.sourceTransferId}: already here`), ...r.refused.map((x) => `${x.sourceTransferId}: ${x.reason}`)].join('; ');
  return new LibrarianError(status, reason, `Nothing of this batch was staged (${detail}); send the other files again without these.`, {
    source_transfer_ids: ids,
    destination_transfer_ids: ids.map(() => -1),
  });
}

function stagedOut(s: BatchStageResult['staged'][number]): z.input<typeof clone.stagedItem> {
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
  route(clone.batchStage, {
    level: 'READAPPEND',
    summary:
      'Destination side: stage a batch of files a peer is about to send. Senders that send extensions: 1 get an answer per item: staged (with its staging location), already_present (same checksum: the sender records the copy), or refused (with status and reason); one bad item never refuses the batch. Without it (v2 peers), as v2 answers: the whole batch staged, or nothing and one error (425 ongoing, 409 already here, else the first refusal) with source_transfer_ids.',
    status: 201,
    errors: [403, 406, 409, 413, 425],
    handler: async ({ body, flows, principal }) => {
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
  route(clone.stage, {
    level: 'READAPPEND',
    summary:
      "Destination side: stage one file a peer is about to send (v2's SneakerNet ingest calls it for each file of a drive). source is the peer told of the outcome; when an admin names a source that is not a peer, the uploader is that peer if it is one (v2's ingest sends the file's original source as source, kept as the File's source, and the sending Librarian as uploader). transfer_providers: the local offer, and the Globus one only to callers that send extensions: 1 (v2 parses every offer as local).",
    status: 201,
    errors: [403, 409, 413, 425],
    handler: async ({ body, flows, principal }) => {
      const r = await flows.clone.stageIncoming(principal!, body.source, [toItem(body)], { uploaderAsPeer: true });
      if (r.alreadyPresent[0]) throw new LibrarianError(409, 'File already exists on librarian.', 'Nothing to send: the destination has it with the same checksum.', { store_id: r.alreadyPresent[0].storeId, already_present: true });
      if (r.refused[0]) throw new LibrarianError(r.refused[0].status, r.refused[0].reason, 'See the reason; the file may be offered again later.');
      return { available_bytes_on_store: r.availableBytes, store_name: r.storeName, transfer_providers: providers(r, body.extensions === undefined), ...stagedOut(r.staged[0]!) };
    },
  }),
  route(clone.ongoing, {
    level: 'READAPPEND',
    summary: 'Destination side: the sender started moving the data (INITIATED → ONGOING).',
    errors: [403, 404, 406],
    handler: async ({ body, domain, principal }) => {
      await domain.cloneReceiver.ongoing(principal!, body.destination_transfer_id);
      return { ...body, success: true };
    },
  }),
  route(clone.staged, {
    level: 'CALLBACK',
    summary: 'Destination side: the data is in the staging area (ONGOING → STAGED); verification and commit start.',
    errors: [403, 404, 406],
    handler: async ({ body, flows, principal }) => {
      await flows.clone.incomingStaged(principal!, body.destination_transfer_id);
      return { ...body, success: true };
    },
  }),
  route(clone.fail, {
    level: 'READAPPEND',
    summary: 'Destination side: the sender gave up on this transfer; its staging is removed.',
    errors: [403, 404, 406],
    handler: async ({ body, flows, principal }) => {
      await flows.clone.incomingFailed(principal!, body.destination_transfer_id, body.reason);
      return { source_transfer_id: body.source_transfer_id, destination_transfer_id: body.destination_transfer_id, success: true };
    },
  }),
  route(clone.complete, {
    level: 'CALLBACK',
    summary: "Source side: the destination verified and catalogued the file; it becomes a RemoteInstance. Only the destination's own account may call it.",
    errors: [404],
    handler: async ({ body, flows, principal }) => {
      const r = await flows.clone.outgoingCompleted(principal!, body.source_transfer_id, body.store_id);
      return { ...body, success: true, file_name: r.fileName };
    },
  }),
  route(checkin.update, {
    level: 'CALLBACK',
    summary:
      'Change the status of transfers between two Librarians: source_transfer_ids are our outgoing transfers (the destination reports on them), destination_transfer_ids our incoming ones (the sender reports). Allowed: INITIATED→ONGOING/STAGED/FAILED/CANCELLED, ONGOING→STAGED/FAILED/CANCELLED, STAGED→FAILED/CANCELLED; each row only by the peer it concerns.',
    handler: ({ body, flows, principal }) =>
      flows.clone.checkinUpdate(principal!, { sourceIds: body.source_transfer_ids, destinationIds: body.destination_transfer_ids, to: body.new_status, reason: body.reason }),
  }),
  route(checkin.status, {
    level: 'CALLBACK',
    summary: 'Status of transfers between two Librarians (null: not found or not yours), and for incoming ones the store that holds them.',
    handler: ({ body, domain, principal }) => domain.cloneCallbacks.checkinStatus(principal!, { sourceIds: body.source_transfer_ids, destinationIds: body.destination_transfer_ids }),
  }),
];
