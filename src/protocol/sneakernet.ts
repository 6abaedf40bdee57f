import { z } from 'zod';
import { call, time } from './call';

const store = z.object({ store_name: z.string().min(1) });

/**
 * One file of a drive (or of a store's listing). The manifest's checksum covers every field, so
 * fields this version does not know are kept rather than dropped.
 */
export const manifestEntryFields = z.object({
  name: z.string(),
  create_time: time,
  size: z.number().int().nonnegative(),
  checksum: z.string(),
  uploader: z.string(),
  source: z.string(),
  /** Relative to the drive store's root (v2 servers: absolute on the source store). */
  instance_path: z.string(),
  /** 1: ALLOWED, 0: DISALLOWED. */
  deletion_policy: z.number().int(),
  instance_create_time: time,
  instance_available: z.boolean(),
  /** -1 when no transfer was recorded (a listing). */
  outgoing_transfer_id: z.number().int(),
});
export const manifestEntry = manifestEntryFields.passthrough();

/** What a store holds: v2's whole answer of admin/stores/manifest (wire-v2.md §2.7 #25). */
export const storeListing = z.object({
  /** The server's configured name, not its displayed one. */
  librarian_name: z.string(),
  store_name: z.string(),
  store_files: z.array(manifestEntry),
});

/** The manifest that travels with a drive; the CLI writes it to a file as received, for the destination's ingest. */
export const driveManifestFields = z.object({
  version: z.literal(1),
  librarian_name: z.string(),
  source_librarian: z.string(),
  destination_librarian: z.string(),
  store_name: z.string(),
  trip_id: z.string(),
  created_time: time,
  store_files: z.array(manifestEntry),
  /** sha256 of the manifest without this field (canonical JSON), to detect damage. */
  manifest_checksum: z.string(),
});
export const driveManifest = driveManifestFields.passthrough();

/** Not on v2 servers (nor are the other calls here but storeManifest). */
export const localCloneRun = call(
  'admin/local_clone/run',
  z.object({ name: z.string().min(1) }),
  z.object({
    name: z.string(),
    copied: z.number().int(),
    present: z.number().int(),
    /** Why each failed copy failed. */
    failed: z.array(z.string()),
    full_stores: z.array(z.string()),
    /** Why the run stopped early (every destination full), or null. */
    stopped_because: z.string().nullable(),
  }),
);

export const provision = call('sneakernet/provision', store, z.object({ store_name: z.string(), trip_id: z.string(), state: z.literal('filling') }));

export const seal = call('sneakernet/seal', store, z.object({ store_name: z.string(), trip_id: z.string(), files: z.number().int(), bytes: z.number().int().nonnegative() }));

export const manifest = call('sneakernet/manifest', store.extend({ destination_librarian: z.string().min(1) }), driveManifest);

/** The v2 form of sneakernet/manifest: the drive's manifest with create_outgoing_transfers, else the store's listing. */
export const storeManifest = call(
  'admin/stores/manifest',
  store.extend({
    create_outgoing_transfers: z.boolean().default(false),
    destination_librarian: z.string().default(''),
    disable_store: z.boolean().default(false),
    mark_local_instances_as_unavailable: z.boolean().default(false),
  }),
  z.union([driveManifest, storeListing]),
);

export const wipe = call('sneakernet/wipe', store, z.object({ store_name: z.string(), files_deleted: z.number().int() }));

export const status = call(
  'sneakernet/status',
  z.object({}).passthrough(),
  z.object({
    trips: z.array(
      z.object({
        workflow_id: z.string(),
        store_name: z.string(),
        /** filling, full, in transit, ingesting at the destination, confirmed, wiped; or how the workflow ended. */
        state: z.string(),
        destination: z.string().nullable(),
        files: z.number().int(),
        bytes: z.number().int().nonnegative(),
        confirmed: z.number().int(),
        rejected: z.number().int(),
        waiting_for: z.string(),
        running: z.boolean(),
        started: time,
      }),
    ),
  }),
);

export const ingest = call(
  'sneakernet/ingest',
  // The manifest as the source wrote it: the server checks it (and its checksum) with its own messages.
  z.object({ manifest: z.unknown(), drive_root: z.string().min(1) }),
  z.object({ ingest_id: z.string(), files: z.number().int(), bytes: z.number().int().nonnegative() }),
);

export const ingestStatus = call(
  'sneakernet/ingest_status',
  z.object({ ingest_id: z.string().min(1) }),
  z.object({
    ingest_id: z.string(),
    running: z.boolean(),
    finished: z.boolean(),
    total: z.number().int(),
    done: z.number().int(),
    bytes_done: z.number().int().nonnegative(),
    bytes_total: z.number().int().nonnegative(),
    ingested: z.number().int(),
    already_present: z.number().int(),
    rejected: z.array(z.object({ name: z.string(), reason: z.string() })),
    /** More files were rejected than are listed. */
    rejected_not_listed: z.number().int(),
  }),
);
