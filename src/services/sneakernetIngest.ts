/**
 * The destination's side of a drive: each manifest entry is staged like a clone from the source
 * Librarian, copied from the drive into staging, and then verified, committed and confirmed by
 * the receiveClone workflow, as a network clone would be.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LibrarianError, notFound } from '../errors';
import { callPeer } from './cloneSend';
import type { Manifest, ManifestEntry } from './sneakernet';
import type { Services } from '.';

export type StagedEntry =
  | { kind: 'staged'; transferId: number; stagingLocation: string }
  | { kind: 'present'; storeId: number }
  | { kind: 'refused'; status: number; reason: string };

export async function stageEntry(services: Services, source: string, operator: string, e: ManifestEntry): Promise<StagedEntry> {
  const r = await services.cloneReceive.batchStage({ username: operator, level: 'ADMIN' }, source, [
    { uploadSize: e.size, uploadChecksum: e.checksum, destination: e.name, uploader: e.uploader, sourceTransferId: e.outgoing_transfer_id, createTime: new Date(e.create_time) },
  ]);
  if (r.staged[0]) return { kind: 'staged', transferId: r.staged[0].destinationTransferId, stagingLocation: r.staged[0].stagingLocation };
  if (r.alreadyPresent[0]) return { kind: 'present', storeId: r.alreadyPresent[0].storeId };
  return { kind: 'refused', status: r.refused[0]!.status, reason: r.refused[0]!.reason };
}

/**
 * Copies one entry from the drive into its staging area and marks it STAGED. A drive that is
 * not there (unplugged) is an error worth retrying; a file missing from a mounted drive is not.
 */
export async function copyFromDrive(services: Services, transferId: number, driveRoot: string, instancePath: string): Promise<void> {
  if (!existsSync(driveRoot)) throw new Error(`The drive is not mounted at ${driveRoot}; waiting for it to come back.`);
  const from = path.join(driveRoot, instancePath);
  if (!existsSync(from)) throw notFound(`${instancePath} is missing from the drive.`, 'The source will send it again over the network or on the next drive.');
  const t = await services.uploads.get(transferId);
  if (t.status !== 'INITIATED' && t.status !== 'ONGOING') return;
  const stagingLocation = await services.uploads.stagingLocation(t);
  await fs.rm(stagingLocation, { recursive: true, force: true });
  try {
    await fs.cp(from, stagingLocation, { recursive: true, preserveTimestamps: true });
  } catch (e) {
    if (!existsSync(driveRoot)) throw new Error(`The drive went away from ${driveRoot} during the copy; waiting for it to come back.`);
    throw e;
  }
  await services.db.incomingTransfer.updateMany({ where: { id: transferId, status: { in: ['INITIATED', 'ONGOING'] } }, data: { status: 'STAGED', transferMethod: 'sneakernet' } });
}

const cached: { checksum?: string; entries?: ManifestEntry[] } = {};

/** A page of a stored manifest's entries (the parsed manifest is kept for the next page). */
export async function manifestEntries(services: Services, checksum: string, offset: number, limit: number): Promise<ManifestEntry[]> {
  if (cached.checksum !== checksum) {
    const row = await services.db.sneakernetManifest.findUnique({ where: { checksum } });
    if (!row) throw notFound(`No stored manifest ${checksum}.`, 'Start the ingest again with the manifest.');
    cached.entries = (row.body as unknown as Manifest).store_files;
    cached.checksum = checksum;
  }
  return cached.entries!.slice(offset, offset + limit);
}

/** Tells the source a file from the drive was already here, so it records the copy. */
export async function confirmPresent(services: Services, source: string, sourceTransferId: number, storeId: number): Promise<void> {
  const client = await services.peers.client(source);
  try {
    await callPeer(`clone/complete on ${source}`, () => client.post('clone/complete', { source_transfer_id: sourceTransferId, destination_transfer_id: -1, store_id: storeId }));
  } catch (e) {
    // The source no longer knows the transfer (e.g. its trip was wiped): nothing to confirm.
    if (e instanceof LibrarianError && e.status === 404) return;
    throw e;
  }
}
