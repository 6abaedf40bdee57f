/**
 * SneakerNet (inventory §5.2): a drive is a store on the source, filled by a local clone, then
 * shipped with a manifest; the destination ingests it (verifying every file) and confirms each
 * file back, and only then may the drive be wiped for its next trip.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { Config } from '../config';
import { badRequest, conflict, LibrarianError } from '../errors';
import type { Logger } from '../logger';
import type { Db, Prisma } from './db';
import { safeRelativePath } from './localStore';
import type { PeerService } from './peers';
import type { StoreService } from './stores';
import { removeTree } from './uploads';

export const manifestEntrySchema = z.object({
  name: z.string(),
  create_time: z.string(),
  size: z.number().int().nonnegative(),
  checksum: z.string(),
  uploader: z.string(),
  source: z.string(),
  /** Path of the data relative to the drive store's root. */
  instance_path: z.string(),
  deletion_policy: z.number().int(),
  instance_create_time: z.string(),
  instance_available: z.boolean(),
  outgoing_transfer_id: z.number().int(),
});

export const manifestSchema = z.object({
  version: z.literal(1),
  /** The source Librarian (SO Librarian field name). */
  librarian_name: z.string(),
  source_librarian: z.string(),
  destination_librarian: z.string(),
  store_name: z.string(),
  trip_id: z.string(),
  created_time: z.string(),
  store_files: z.array(manifestEntrySchema),
  /** sha256 of the manifest without this field (canonical JSON), to detect damage. */
  manifest_checksum: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function manifestChecksum(m: Omit<Manifest, 'manifest_checksum'>): string {
  return `sha256:::${createHash('sha256').update(canonical(m)).digest('hex')}`;
}

/** Parses a manifest and checks its checksum; a damaged or edited manifest is refused. */
export function readManifest(raw: unknown): Manifest {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw badRequest(`The manifest is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`, 'Use the file written by "librarian sneakernet manifest", unchanged.');
  }
  const { manifest_checksum, ...rest } = parsed.data;
  if (manifestChecksum(rest) !== manifest_checksum) {
    throw badRequest('The manifest does not match its checksum: it was damaged or edited.', 'Use an intact copy of the manifest (the source can write it again: running "librarian sneakernet manifest" twice gives the same one).');
  }
  for (const e of parsed.data.store_files) safeRelativePath(e.instance_path, 'instance path');
  return parsed.data;
}

export function tripId(config: Pick<Config, 'name'>, store: string): string {
  return `sneakernet/${config.name}/${store}`;
}

export class SneakernetService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly peers: PeerService,
    private readonly log: Logger,
  ) {}

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
    return { tripId: tripId(this.config, storeName) };
  }

  async seal(storeName: string): Promise<{ tripId: string; files: number; bytes: number }> {
    const row = await this.driveStore(storeName);
    await this.stores.setEnabled(storeName, false);
    const { files, bytes } = await this.stores.contents(row.id);
    return { tripId: tripId(this.config, storeName), files, bytes };
  }

  /**
   * Records an OutgoingTransfer per file on the drive (ONGOING, batch = the trip), marks the
   * drive's instances unavailable, disables the store, and returns the manifest. Asking again
   * returns the same manifest and creates nothing.
   */
  async manifest(storeName: string, destination: string): Promise<Manifest> {
    const row = await this.driveStore(storeName);
    await this.peers.row(destination);
    const trip = tripId(this.config, storeName);
    const existing = await this.db.outgoingTransfer.findMany({ where: { batchId: trip, status: { in: ['ONGOING', 'STAGED', 'COMPLETED', 'FAILED'] } }, take: 1 });
    if (existing.length === 0) {
      await this.stores.setEnabled(storeName, false);
      const instances = await this.db.instance.findMany({ where: { storeId: row.id, available: true }, include: { file: true }, orderBy: { id: 'asc' } });
      if (instances.length === 0) throw conflict(`The drive of store "${storeName}" holds no files.`, 'Let the local clone fill it first.');
      const store = this.stores.local(row);
      await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
        for (const i of instances) {
          await tx.outgoingTransfer.create({
            data: {
              status: 'ONGOING',
              destination,
              transferSize: i.file.size,
              transferChecksum: i.file.checksum,
              fileName: i.fileName,
              instanceId: i.id,
              batchId: trip,
              transferMethod: 'sneakernet',
              sourcePath: store.storePathFor(i.path),
            },
          });
        }
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
    const trip = tripId(this.config, storeName);
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
      await tx.outgoingTransfer.updateMany({ where: { batchId: trip }, data: { instanceId: null, batchId: `${trip}/wiped-${Date.now()}` } });
      await tx.instance.deleteMany({ where: { id: { in: instances.map((i) => i.id) } } });
    });
    await this.stores.setEnabled(storeName, true);
    this.log.info({ store: storeName, files: instances.length }, 'SneakerNet drive wiped and re-enabled');
    return { files: instances.length };
  }
}

async function pruneEmptyDirs(root: string): Promise<void> {
  for (const e of await fs.readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = path.join(root, e.name);
    await pruneEmptyDirs(p);
    if ((await fs.readdir(p)).length === 0) await fs.rmdir(p);
  }
}
