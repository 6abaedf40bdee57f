/**
 * The destination's side of a drive: each manifest entry is staged like a clone from the source
 * Librarian, copied from the drive into staging, and then verified, committed and confirmed by
 * the receiveClone workflow, as a network clone would be.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config';
import { conflict, notFound } from '../../shared/errors';
import type { Db } from '../catalog/db';
import type { CloneReceiver } from '../clone/receiver';
import type { PeerRegistry } from '../peers/registry';
import type { IncomingTransfers } from '../transfers/incoming';
import type { Principal } from '../users/users';
import { readManifest, type Manifest, type ManifestEntry } from './manifest';

export type StagedEntry =
  | { kind: 'staged'; transferId: number; stagingLocation: string }
  | { kind: 'present'; storeId: number }
  | { kind: 'refused'; status: number; reason: string };

export class DriveIngest {
  /** The manifest last read, kept for its next page (manifests are immutable, keyed by checksum). */
  private lastManifest: { checksum: string; entries: ManifestEntry[] } | undefined;

  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly receiver: CloneReceiver,
    private readonly incoming: IncomingTransfers,
    private readonly peers: PeerRegistry,
  ) {}

  /**
   * Checks a manifest before an ingest starts (intact, for this Librarian, from a known peer) and
   * keeps it in the catalog, where the ingest workflow reads it in pages.
   */
  async accept(raw: unknown): Promise<Manifest> {
    const manifest = readManifest(raw);
    if (manifest.destination_librarian !== this.config.name) {
      throw conflict(`This manifest is for "${manifest.destination_librarian}", not "${this.config.name}".`, 'Ingest the drive at the Librarian it was shipped to.');
    }
    await this.peers.row(manifest.source_librarian);
    await this.db.sneakernetManifest.upsert({
      where: { checksum: manifest.manifest_checksum },
      create: { checksum: manifest.manifest_checksum, source: manifest.source_librarian, storeName: manifest.store_name, fileCount: manifest.store_files.length, body: manifest as never },
      update: {},
    });
    return manifest;
  }

  /** A page of a stored manifest's entries. */
  async entries(checksum: string, offset: number, limit: number): Promise<ManifestEntry[]> {
    if (this.lastManifest?.checksum !== checksum) {
      const row = await this.db.sneakernetManifest.findUnique({ where: { checksum } });
      if (!row) throw notFound(`No stored manifest ${checksum}.`, 'Start the ingest again with the manifest.');
      this.lastManifest = { checksum, entries: (row.body as unknown as Manifest).store_files };
    }
    return this.lastManifest.entries.slice(offset, offset + limit);
  }

  /** Stages one entry as a clone from the source, through the operator's (admin) authority. */
  async stageEntry(source: string, operator: string, e: ManifestEntry): Promise<StagedEntry> {
    const principal: Principal = { username: operator, level: 'ADMIN' };
    const r = await this.receiver.batchStage(principal, source, [
      { uploadSize: e.size, uploadChecksum: e.checksum, destination: e.name, uploader: e.uploader, sourceTransferId: e.outgoing_transfer_id, createTime: new Date(e.create_time) },
    ]);
    if (r.staged[0]) return { kind: 'staged', transferId: r.staged[0].destinationTransferId, stagingLocation: r.staged[0].stagingLocation };
    if (r.alreadyPresent[0]) return { kind: 'present', storeId: r.alreadyPresent[0].storeId };
    return { kind: 'refused', status: r.refused[0]!.status, reason: r.refused[0]!.reason };
  }

  /**
   * Copies one entry from the drive into its staging area. A drive that is not there (unplugged)
   * is an error worth retrying; a file missing from a mounted drive is not.
   */
  async copyFromDrive(transferId: number, driveRoot: string, instancePath: string): Promise<void> {
    if (!existsSync(driveRoot)) throw new Error(`The drive is not mounted at ${driveRoot}; waiting for it to come back.`);
    const from = path.join(driveRoot, instancePath);
    if (!existsSync(from)) throw notFound(`${instancePath} is missing from the drive.`, 'The source will send it again over the network or on the next drive.');
    const t = await this.incoming.get(transferId);
    if (t.status !== 'INITIATED' && t.status !== 'ONGOING') return;
    const { location } = await this.incoming.staging(t);
    await fs.rm(location, { recursive: true, force: true });
    try {
      await fs.cp(from, location, { recursive: true, preserveTimestamps: true });
    } catch (e) {
      if (!existsSync(driveRoot)) throw new Error(`The drive went away from ${driveRoot} during the copy; waiting for it to come back.`);
      throw e;
    }
  }
}
