/**
 * The one owner of CloneTransfer rows: copies between two of this Librarian's stores (backup
 * disks, SneakerNet drives), with the same named transitions as the other transfers.
 */
import { ACTIVE_STATUSES, sourcesOf, type TransferStatus } from '../../shared/transferStatus';
import type { Db, Prisma } from '../catalog/db';

export type LocalCopy = Prisma.CloneTransferGetPayload<object>;

export class LocalCopies {
  constructor(private readonly db: Db) {}

  /** The unfinished copy of this instance to this store, or a new one (INITIATED). */
  async open(src: { id: number; storeId: number; fileName: string }, destinationStoreId: number): Promise<LocalCopy> {
    return (
      (await this.db.cloneTransfer.findFirst({ where: { sourceInstanceId: src.id, destinationStoreId, status: { in: ACTIVE_STATUSES } } })) ??
      (await this.db.cloneTransfer.create({ data: { sourceStoreId: src.storeId, destinationStoreId, sourceInstanceId: src.id, fileName: src.fileName, status: 'INITIATED' } }))
    );
  }

  private async move(id: number, to: TransferStatus, extra: Prisma.CloneTransferUpdateManyMutationInput = {}, q: Db | Prisma.TransactionClient = this.db): Promise<void> {
    await q.cloneTransfer.updateMany({ where: { id, status: { in: sourcesOf(to) } }, data: { ...extra, status: to } });
  }

  ongoing(id: number): Promise<void> {
    return this.move(id, 'ONGOING');
  }

  staged(id: number): Promise<void> {
    return this.move(id, 'STAGED');
  }

  /** Within the transaction that catalogues the new instance. */
  completed(tx: Prisma.TransactionClient, id: number, destinationInstanceId: number): Promise<void> {
    return this.move(id, 'COMPLETED', { endTime: new Date(), destinationInstanceId }, tx);
  }

  failed(id: number, reason: string): Promise<void> {
    return this.move(id, 'FAILED', { endTime: new Date(), failureReason: reason });
  }
}
