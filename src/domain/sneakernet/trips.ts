/**
 * SneakerNet (inventory §5.2): a drive is a store on the source, filled by a local clone, then
 * shipped with a manifest; the destination ingests it (verifying every file) and confirms each
 * file back, and only then may the drive be wiped for its next trip.
 */
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { badRequest, conflict, LibrarianError } from '../../shared/errors';
import { workflowIds } from '../../shared/workflowIds';
import type { Db, Prisma } from '../catalog/db';
import type { PeerRegistry } from '../peers/registry';
import { pruneEmptyDirs, removeTree } from '../stores/files';
import type { StoreService } from '../stores/stores';
import type { OutgoingTransfers } from '../transfers/outgoing';
import { manifestChecksum, type Manifest } from './manifest';

export class DriveTrips {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly peers: PeerRegistry,
    private readonly outgoing: OutgoingTransfers,
    private readonly log: Logger,
  ) {}

  private tripId(store: string): string {
    return workflowIds(this.config.name).trip(store);
  }

  private async driveStore(name: string) {
    const row = await this.stores.row(name);
    if (row.ingestable) {
      throw badRequest(`Store "${name}" takes uploads, so it cannot be a SneakerNet drive.`, 'Configure the drive as a store with ingestable: false.');
    }
    return row;
  }

  /** Starts a trip on a mounted drive: it must hold nothing from an unfinished trip. */
  async provision(storeName: string): Promise<{ tripId: string }> {
    const row = await this.driveStore(storeName);
    if (!(await this.stores.local(row).available())) {
      throw conflict(`The drive of store "${storeName}" is not mounted (${this.stores.local(row).storeRoot}).`, 'Mount it, then provision again.');
    }
    const leftovers = await this.db.instance.count({ where: { storeId: row.id, available: false } });
    if (leftovers > 0) {
      throw conflict(`Store "${storeName}" still lists ${leftovers} files of a trip that was not wiped.`, `Finish that trip: "librarian sneakernet wipe --store ${storeName}" once the destination has confirmed them.`);
    }
    await this.stores.setEnabled(storeName, true);
    return { tripId: this.tripId(storeName) };
  }

  async seal(storeName: string): Promise<{ tripId: string; files: number; bytes: number }> {
    const row = await this.driveStore(storeName);
    await this.stores.setEnabled(storeName, false);
    const { files, bytes } = await this.stores.contents(row.id);
    return { tripId: this.tripId(storeName), files, bytes };
  }

  /**
   * Records an OutgoingTransfer per file on the drive (ONGOING, batch = the trip), marks the
   * drive's instances unavailable, disables the store, and returns the manifest. Asking again
   * returns the same manifest and creates nothing.
   */
  async manifest(storeName: string, destination: string): Promise<Manifest> {
    const row = await this.driveStore(storeName);
    await this.peers.row(destination);
    const trip = this.tripId(storeName);
    const existing = await this.db.outgoingTransfer.findMany({ where: { batchId: trip, status: { in: ['ONGOING', 'STAGED', 'COMPLETED', 'FAILED'] } }, take: 1 });
    if (existing.length === 0) {
      await this.stores.setEnabled(storeName, false);
      const instances = await this.db.instance.findMany({ where: { storeId: row.id, available: true }, include: { file: true }, orderBy: { id: 'asc' } });
      if (instances.length === 0) throw conflict(`The drive of store "${storeName}" holds no files.`, 'Let the local clone fill it first.');
      const store = this.stores.local(row);
      await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
        await this.outgoing.record(
          tx,
          instances.map((i) => ({
            destination,
            fileName: i.fileName,
            size: i.file.size,
            checksum: i.file.checksum,
            instanceId: i.id,
            batchId: trip,
            transferMethod: 'sneakernet',
            sourcePath: store.storePathFor(i.path),
          })),
          'ONGOING',
        );
        await tx.instance.updateMany({ where: { id: { in: instances.map((i) => i.id) } }, data: { available: false } });
      });
      this.log.info({ store: storeName, destination, files: instances.length }, 'SneakerNet manifest written; drive disabled');
    }
    const transfers = await this.db.outgoingTransfer.findMany({ where: { batchId: trip }, include: { file: true, instance: true }, orderBy: { id: 'asc' } });
    const dest = transfers[0]!.destination;
    if (dest !== destination) throw conflict(`This trip's manifest was made for "${dest}".`, `Ask again with --destination ${dest}, or finish the trip first.`);
    const body: Omit<Manifest, 'manifest_checksum'> = {
      version: 1,
      librarian_name: this.config.name,
      source_librarian: this.config.name,
      destination_librarian: dest,
      store_name: storeName,
      trip_id: trip,
      created_time: transfers[0]!.startTime.toISOString(),
      store_files: transfers.map((t) => ({
        name: t.fileName,
        create_time: t.file.createTime.toISOString(),
        size: Number(t.transferSize),
        checksum: t.transferChecksum,
        uploader: t.file.uploader,
        source: t.file.source,
        instance_path: t.instance?.path ?? t.fileName,
        deletion_policy: t.instance?.deletionPolicy === 'ALLOWED' ? 1 : 0,
        instance_create_time: (t.instance?.createdTime ?? t.startTime).toISOString(),
        instance_available: t.instance?.available ?? false,
        outgoing_transfer_id: t.id,
      })),
    };
    return { ...body, manifest_checksum: manifestChecksum(body) };
  }

  /**
   * What a store holds, as manifest entries without transfers (outgoing_transfer_id -1): the v2
   * `admin/stores/manifest` without create_outgoing_transfers. Any store, not only drives.
   */
  async listing(storeName: string): Promise<Pick<Manifest, 'librarian_name' | 'store_name' | 'store_files'>> {
    const row = await this.stores.row(storeName);
    const instances = await this.db.instance.findMany({ where: { storeId: row.id, available: true }, include: { file: true }, orderBy: { id: 'asc' } });
    return {
      librarian_name: this.config.name,
      store_name: storeName,
      store_files: instances.map((i) => ({
        name: i.fileName,
        create_time: i.file.createTime.toISOString(),
        size: Number(i.file.size),
        checksum: i.file.checksum,
        uploader: i.file.uploader,
        source: i.file.source,
        instance_path: i.path,
        deletion_policy: i.deletionPolicy === 'ALLOWED' ? 1 : 0,
        instance_create_time: i.createdTime.toISOString(),
        instance_available: true,
        outgoing_transfer_id: -1,
      })),
    };
  }

  async progress(trip: string) {
    const rows = await this.db.outgoingTransfer.groupBy({ by: ['status'], where: { batchId: trip }, _count: { _all: true }, _sum: { transferSize: true } });
    const n = (s: string) => rows.find((r) => r.status === s)?._count._all ?? 0;
    return {
      total: rows.reduce((s, r) => s + r._count._all, 0),
      // The drive's instances are unavailable while it travels, so its size comes from the trip.
      bytes: rows.reduce((s, r) => s + Number(r._sum.transferSize ?? 0), 0),
      completed: n('COMPLETED'),
      failed: n('FAILED') + n('CANCELLED'),
      ongoing: n('ONGOING') + n('STAGED') + n('INITIATED'),
    };
  }

  /**
   * Deletes the drive's data once every file on it is confirmed at the destination, and makes
   * the store ready for the next trip. Otherwise refuses and lists what is missing.
   */
  async wipe(storeName: string): Promise<{ files: number }> {
    const row = await this.driveStore(storeName);
    const trip = this.tripId(storeName);
    const transfers = await this.db.outgoingTransfer.findMany({ where: { batchId: trip }, orderBy: { id: 'asc' } });
    // A file counts as safe when the drive's copy was confirmed, or when the destination got it
    // another way (sent again over the network after it was rejected from the drive).
    const peer = transfers[0] ? await this.db.librarian.findUnique({ where: { name: transfers[0].destination } }) : null;
    const elsewhere = new Set(
      peer ? (await this.db.remoteInstance.findMany({ where: { librarianId: peer.id, fileName: { in: transfers.map((t) => t.fileName) } }, select: { fileName: true } })).map((r) => r.fileName) : [],
    );
    const unconfirmed = transfers.filter((t) => t.status !== 'COMPLETED' && !elsewhere.has(t.fileName));
    if (transfers.length === 0) throw conflict(`Store "${storeName}" has no manifested trip to finish.`, 'Write its manifest and ship it first.');
    if (unconfirmed.length > 0) {
      throw new LibrarianError(
        409,
        `${unconfirmed.length} of ${transfers.length} files on the drive are not confirmed at ${transfers[0]!.destination}: ${unconfirmed
          .slice(0, 20)
          .map((t) => `${t.fileName} (${t.status}${t.failureReason ? `: ${t.failureReason}` : ''})`)
          .join(', ')}${unconfirmed.length > 20 ? ', ...' : ''}.`,
        'Wait for the destination to ingest and confirm them (librarian sneakernet status); files it rejected are sent again over the network or on the next drive, and stay on this drive until then.',
        { missing: unconfirmed.map((t) => t.fileName) },
      );
    }
    const store = this.stores.local(row);
    const instances = await this.db.instance.findMany({ where: { storeId: row.id, available: false } });
    for (const i of instances) await removeTree(store.storePathFor(i.path));
    await pruneEmptyDirs(store.storeRoot);
    await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
      await this.outgoing.detachTrip(tx, trip);
      await tx.instance.deleteMany({ where: { id: { in: instances.map((i) => i.id) } } });
    });
    await this.stores.setEnabled(storeName, true);
    this.log.info({ store: storeName, files: instances.length }, 'SneakerNet drive wiped and re-enabled');
    return { files: instances.length };
  }
}
