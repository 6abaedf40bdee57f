/**
 * The one owner of OutgoingTransfer rows: data leaving here for a peer, in a network batch or on a
 * drive. Every status change goes through a named transition below; nothing else writes one.
 *
 *   record      → INITIATED (planned into a batch) or ONGOING (on a drive, with its manifest)
 *   ongoing     INITIATED → ONGOING       (the destination was told the data is coming)
 *   staged      → STAGED                  (the data is in the destination's staging area)
 *   confirmed   → COMPLETED + RemoteInstance (the destination verified and catalogued it)
 *   failed      unfinished → FAILED       (offered again in a later batch)
 *   cancelled   unfinished → CANCELLED
 *   reported    what the destination sets through checkin/update, by the transition table
 */
import type { Logger } from '../../logger';
import { notAcceptable, notFound } from '../../shared/errors';
import { ACTIVE_STATUSES, canMove, sourcesOf, type TransferStatus } from '../../shared/transferStatus';
import type { Db, Prisma, Query } from '../catalog/db';

export type OutgoingTransfer = Prisma.OutgoingTransferGetPayload<object>;

export interface NewOutgoing {
  destination: string;
  fileName: string;
  size: bigint | number;
  checksum: string;
  instanceId: number;
  batchId: string;
  transferMethod?: string;
  sourcePath?: string;
}

export class OutgoingTransfers {
  constructor(
    private readonly db: Db,
    private readonly librarian: string,
    private readonly log: Logger,
  ) {}

  async get(id: number): Promise<OutgoingTransfer> {
    const t = await this.db.outgoingTransfer.findUnique({ where: { id } });
    if (!t) throw notFound(`No outgoing transfer with id ${id}.`, 'Use the source_transfer_id of the clone.');
    return t;
  }

  /** Records transfers of one batch or trip (inside the caller's transaction when given one). */
  async record(q: Query, rows: NewOutgoing[], status: 'INITIATED' | 'ONGOING'): Promise<void> {
    await q.outgoingTransfer.createMany({
      data: rows.map((r) => ({
        status,
        destination: r.destination,
        fileName: r.fileName,
        transferSize: BigInt(r.size),
        transferChecksum: r.checksum,
        instanceId: r.instanceId,
        batchId: r.batchId,
        transferMethod: r.transferMethod,
        sourcePath: r.sourcePath,
      })),
    });
  }

  /** The batch's transfers, oldest first, with their file and the instance they are sent from. */
  batch(batchId: string) {
    return this.db.outgoingTransfer.findMany({ where: { batchId }, orderBy: { id: 'asc' }, include: { file: true, instance: { include: { store: true } } } });
  }

  async unfinished(batchId: string) {
    return (await this.batch(batchId)).filter((t) => ACTIVE_STATUSES.includes(t.status));
  }

  async destinationOf(batchId: string): Promise<string> {
    const one = await this.db.outgoingTransfer.findFirst({ where: { batchId } });
    if (!one) throw notFound(`No batch ${batchId}.`, 'The batch has no transfers.');
    return one.destination;
  }

  /** Batches to `peer` (or to all) that still have work in flight. */
  async inFlightBatches(peer?: string, q: Query = this.db): Promise<string[]> {
    const rows = await q.outgoingTransfer.groupBy({ by: ['batchId'], where: { status: { in: ACTIVE_STATUSES }, batchId: { not: null }, ...(peer ? { destination: peer } : {}) } });
    return rows.map((r) => r.batchId!);
  }

  /** Ids of a batch's transfers not resolved yet. */
  async pending(batchId: string): Promise<number[]> {
    return (await this.db.outgoingTransfer.findMany({ where: { batchId, status: { in: ACTIVE_STATUSES } }, select: { id: true } })).map((t) => t.id);
  }

  /** Where the destination staged an item (not a status change). */
  async setDestination(id: number, d: { remoteTransferId: number; sourcePath: string; destPath: string }): Promise<void> {
    await this.db.outgoingTransfer.update({ where: { id }, data: d });
  }

  private async moveMany(ids: number[], to: TransferStatus, extra: Prisma.OutgoingTransferUpdateManyMutationInput = {}): Promise<number> {
    if (ids.length === 0) return 0;
    const r = await this.db.outgoingTransfer.updateMany({ where: { id: { in: ids }, status: { in: sourcesOf(to) } }, data: { ...extra, status: to } });
    return r.count;
  }

  ongoing(ids: number[], method?: string): Promise<number> {
    return this.moveMany(ids, 'ONGOING', method ? { transferMethod: method } : {});
  }

  staged(ids: number[]): Promise<number> {
    return this.moveMany(ids, 'STAGED');
  }

  failed(ids: number[], reason: string): Promise<number> {
    return this.moveMany(ids, 'FAILED', { endTime: new Date(), failureReason: reason });
  }

  cancelled(ids: number[], reason: string): Promise<number> {
    return this.moveMany(ids, 'CANCELLED', { endTime: new Date(), failureReason: reason });
  }

  /** Fails every unfinished transfer to a peer (the peer is being removed). */
  async failAllTo(peer: string, reason: string): Promise<number> {
    const r = await this.db.outgoingTransfer.updateMany({ where: { destination: peer, status: { in: ACTIVE_STATUSES } }, data: { status: 'FAILED', endTime: new Date(), failureReason: reason } });
    return r.count;
  }

  /**
   * The destination verified and catalogued the file: COMPLETED and a RemoteInstance (one per
   * file, peer and store), in one transaction. Accepted from any status: a confirmation is a fact
   * about the destination's catalogue, even when it arrives after this side gave up on the batch.
   */
  async confirmed(id: number, peerId: number, remoteStoreId: number, why: string): Promise<OutgoingTransfer> {
    const t = await this.get(id);
    await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
      await tx.outgoingTransfer.update({ where: { id }, data: { status: 'COMPLETED', endTime: t.endTime ?? new Date(), failureReason: null } });
      await tx.remoteInstance.upsert({
        where: { fileName_librarianId_storeId: { fileName: t.fileName, librarianId: peerId, storeId: remoteStoreId } },
        create: { fileName: t.fileName, librarianId: peerId, storeId: remoteStoreId, sender: this.librarian },
        update: {},
      });
    });
    this.log.info({ transfer: id, file: t.fileName, peer: t.destination, why }, 'copy confirmed');
    return t;
  }

  /**
   * A status the destination reports (checkin/update): allowed by the transition table, never
   * COMPLETED (that takes clone/complete). Already being there counts as done.
   */
  async reported(t: OutgoingTransfer, to: TransferStatus, reason?: string): Promise<void> {
    if (t.status === to) return;
    if (to === 'COMPLETED' || !canMove(t.status, to)) throw notAcceptable(`Outgoing transfer ${t.id}: cannot go from ${t.status} to ${to}.`, 'See the transition table of checkin/update.');
    const ended = to === 'FAILED' || to === 'CANCELLED';
    const r = await this.db.outgoingTransfer.updateMany({
      where: { id: t.id, status: t.status },
      data: { status: to, ...(ended ? { endTime: new Date(), failureReason: `${t.destination} reported ${to}${reason ? `: ${reason}` : ''}` } : {}) },
    });
    if (r.count === 0) throw notAcceptable(`Outgoing transfer ${t.id} changed meanwhile.`, 'Ask again.');
  }

  /**
   * The unfinished transfer of a file to a peer, if its batch id contains `marker` (e.g. a
   * repair's). A file has at most one unfinished transfer per peer, so the marker is checked
   * here rather than with LIKE, where "_" and "%" would be wildcards.
   */
  async inFlightOf(fileName: string, peer: string, marker: string): Promise<OutgoingTransfer | null> {
    const t = await this.db.outgoingTransfer.findFirst({ where: { fileName, destination: peer, status: { in: ACTIVE_STATUSES } }, orderBy: { id: 'desc' } });
    return t?.batchId?.includes(marker) ? t : null;
  }

  /**
   * The peer's copy of a file is damaged and a new one is on its way: it no longer counts as a
   * copy there (clone/complete of the new one records it again).
   */
  async forgetRemoteCopies(fileName: string, peerId: number): Promise<number> {
    const r = await this.db.remoteInstance.deleteMany({ where: { fileName, librarianId: peerId } });
    return r.count;
  }

  /** v2 admin/instance/delete_remote: forget one RemoteInstance. False when there is none with that id. */
  async forgetRemoteInstance(id: number): Promise<boolean> {
    const r = await this.db.remoteInstance.deleteMany({ where: { id } });
    return r.count > 0;
  }

  /** A drive was wiped: its transfers no longer point at the drive's instances or its trip. */
  async detachTrip(tx: Prisma.TransactionClient, trip: string): Promise<void> {
    await tx.outgoingTransfer.updateMany({ where: { batchId: trip }, data: { instanceId: null, batchId: `${trip}/wiped-${Date.now()}` } });
  }
}
