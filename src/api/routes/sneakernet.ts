import { sneakernet } from '../../protocol';
import { badRequest } from '../../shared/errors';
import { route } from '../endpoint';

export const sneakernetEndpoints = [
  route(sneakernet.localCloneRun, {
    level: 'ADMIN',
    summary: 'Run a configured local clone now (what its Schedule does) and return what it copied.',
    errors: [404, 503],
    handler: async ({ body, flows }) => {
      const r = await flows.runNow.localClone(body.name);
      return { name: body.name, copied: r.copied, present: r.present, failed: r.failed, full_stores: r.full, stopped_because: r.stoppedBecause };
    },
  }),
  route(sneakernet.provision, {
    level: 'ADMIN',
    summary: 'Start a trip of a SneakerNet drive (a configured non-ingestable store whose disk is mounted): enables it for filling by the local clone.',
    errors: [400, 404, 409],
    handler: async ({ body, flows }) => ({ store_name: body.store_name, trip_id: (await flows.sneakernet.provision(body.store_name)).tripId, state: 'filling' as const }),
  }),
  route(sneakernet.seal, {
    level: 'ADMIN',
    summary: 'Declare a drive full: stop filling it and alert the operators.',
    errors: [400, 404],
    handler: async ({ body, flows }) => {
      const r = await flows.sneakernet.seal(body.store_name);
      return { store_name: body.store_name, trip_id: r.tripId, files: r.files, bytes: r.bytes };
    },
  }),
  route(sneakernet.manifest, {
    level: 'ADMIN',
    summary:
      "Write a drive's manifest for its destination: records an outgoing transfer per file, marks the drive's instances unavailable and disables the store. Asking again returns the same manifest.",
    errors: [400, 404, 409],
    handler: ({ body, flows }) => flows.sneakernet.manifest(body.store_name, body.destination_librarian),
  }),
  route(sneakernet.storeManifest, {
    level: 'ADMIN',
    summary:
      'The v2 form of sneakernet/manifest. With create_outgoing_transfers and destination_librarian: the drive trip\'s manifest (outgoing transfers recorded, instances marked unavailable and the store disabled, whatever the other flags say; asking again returns the same). Without: what the store holds (outgoing_transfer_id -1), after disabling the store if disable_store.',
    errors: [400, 409],
    statusAs: { 404: 400 },
    handler: async ({ body, domain, flows }) => {
      if (body.create_outgoing_transfers) {
        if (!body.destination_librarian) throw badRequest('create_outgoing_transfers needs a destination_librarian.', 'Name the peer Librarian the drive travels to.');
        return flows.sneakernet.manifest(body.store_name, body.destination_librarian);
      }
      if (body.mark_local_instances_as_unavailable) {
        throw badRequest(
          'mark_local_instances_as_unavailable needs create_outgoing_transfers: copies taken out of use with no transfer recorded would be neither here nor confirmed anywhere.',
          'Ask with create_outgoing_transfers and destination_librarian (librarian sneakernet manifest --destination PEER).',
        );
      }
      if (body.disable_store) await domain.stores.setEnabled(body.store_name, false);
      return domain.driveTrips.listing(body.store_name);
    },
  }),
  route(sneakernet.wipe, {
    level: 'ADMIN',
    summary: "Delete a drive's data once every file on it is confirmed at the destination (otherwise 409 listing what is missing), and ready it for the next trip.",
    errors: [400, 404, 409],
    handler: async ({ body, flows }) => ({ store_name: body.store_name, files_deleted: (await flows.sneakernet.wipe(body.store_name)).files }),
  }),
  route(sneakernet.status, {
    level: 'ADMIN',
    summary: "Every drive trip: its state, file count, bytes, and what it waits for.",
    handler: async ({ flows }) => ({
      trips: (await flows.sneakernet.statuses()).map((t) => ({
        workflow_id: t.workflowId,
        store_name: t.store,
        state: t.state,
        destination: t.destination,
        files: t.files,
        bytes: t.bytes,
        confirmed: t.progress?.completed ?? 0,
        rejected: t.progress?.failed ?? 0,
        waiting_for: t.waitingFor,
        running: t.running,
        started: t.started,
      })),
    }),
  }),
  route(sneakernet.ingest, {
    level: 'ADMIN',
    summary: 'Destination side: ingest a drive. Every file is verified against the manifest before it is committed; the source is told of each file. Runs durably; repeated calls with the same manifest join the same ingest.',
    errors: [400, 404, 409],
    handler: async ({ body, flows, principal }) => {
      const r = await flows.sneakernet.startIngest(body.manifest, body.drive_root, principal!.username);
      return { ingest_id: r.ingestId, files: r.files, bytes: r.bytes };
    },
  }),
  route(sneakernet.ingestStatus, {
    level: 'ADMIN',
    summary: 'Progress of a drive ingest, and its summary when finished: ingested, already present, rejected with the reason.',
    errors: [404],
    handler: async ({ body, flows }) => {
      const p = await flows.sneakernet.ingestStatus(body.ingest_id);
      return {
        ingest_id: body.ingest_id,
        running: p.running,
        finished: p.finished,
        total: p.total,
        done: p.done,
        bytes_done: p.bytesDone,
        bytes_total: p.bytesTotal,
        ingested: p.ingested,
        already_present: p.present,
        rejected: p.rejected,
        rejected_not_listed: p.rejectedNotListed,
      };
    },
  }),
];
