/**
 * The one owner of IncomingTransfer rows: data arriving here by upload, network clone or drive.
 * Every change of a transfer's status goes through a named transition below, guarded by the
 * transition table of shared/transferStatus; nothing else writes a status. Staging (the row and
 * its UUID directory) is created here too, the same way for every kind of arrival.
 *
 *   stage      → INITIATED, with its staging directory on the chosen store
 *   declareChecksum  (INITIATED|ONGOING) the checksum of an upload staged without one
 *   ongoing    INITIATED → ONGOING       (data is arriving: HTTP upload, clone/ongoing)
 *   staged     INITIATED|ONGOING → STAGED (all the data is in staging)
 *   completed  STAGED → COMPLETED        (inside the commit's catalog transaction)
 *   failed     any unfinished → FAILED   (staging removed)
 *   cancelled  any unfinished → CANCELLED (staging removed)
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../../logger';
import { sameChecksum } from '../../shared/checksums';
import { LibrarianError, conflict, notAcceptable, notFound } from '../../shared/errors';
import { isFsError, isPermanentFsError } from '../../shared/fsErrors';
import { sourcesOf, TERMINAL_STATUSES, type TransferStatus } from '../../shared/transferStatus';
import type { Db, Prisma, Query } from '../catalog/db';
import { removeTree } from '../stores/files';
import type { LocalStore } from '../stores/localStore';
import type { StoreRow, StoreService } from '../stores/stores';

export type IncomingTransfer = Prisma.IncomingTransferGetPayload<object>;

/** Where a transfer's data is staged: its directory, the data's path inside it, and its store. */
export interface Staging {
  dir: string;
  location: string;
  store: LocalStore;
  row: StoreRow;
}

export interface StageIncoming {
  store: { row: StoreRow; store: LocalStore };
  /** UUID naming the staging directory; a retried stage with the same name finds its transfer. */
  stagingName: string;
  uploader: string;
  source: string;
  /** The File's source, when it is not `source` (see IncomingTransfer.fileSource). */
  fileSource?: string;
  createdBy: string;
  /** Name of the data inside the staging directory. */
  uploadName: string;
  destination: string;
  size: number;
  /** Null: an upload that declares its checksum at commit (declareChecksum). */
  checksum: string | null;
  workflowId?: string;
  sourceTransferId?: number;
  fileCreateTime?: Date;
  deletionPolicy?: 'DISALLOWED' | 'ALLOWED';
}

export interface Transition {
  id: number;
  from: TransferStatus;
  to: TransferStatus;
  /** False when the transfer already was in `to`. */
  changed: boolean;
}

/** The transfer's checksum, which every step after the commit's verification may rely on. */
export function declaredChecksum(t: Pick<IncomingTransfer, 'id' | 'transferChecksum'>): string {
  if (t.transferChecksum === null) {
    throw conflict(`Transfer ${t.id} has no checksum: it was staged without one, and its commit did not declare it.`, 'Commit it with upload_checksum, the checksum of the data.');
  }
  return t.transferChecksum;
}

/** How long an HTTP request may hold a transfer's staging area without renewing its claim. */
export const RECEIVING_LEASE_MS = 30_000;

export class IncomingTransfers {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
    private readonly log: Logger,
  ) {}

  async find(id: number): Promise<IncomingTransfer | null> {
    return this.db.incomingTransfer.findUnique({ where: { id } });
  }

  async get(id: number): Promise<IncomingTransfer> {
    const t = await this.find(id);
    if (!t) throw notFound(`No transfer with id ${id}.`, 'Use the transfer_id returned by upload/stage (or the destination_transfer_id of a clone).');
    return t;
  }

  /** Unfinished transfers to one destination name. */
  async activeFor(destination: string): Promise<IncomingTransfer[]> {
    return this.db.incomingTransfer.findMany({ where: { storePath: destination, status: { notIn: TERMINAL_STATUSES } }, orderBy: { id: 'asc' } });
  }

  async storeOf(t: Pick<IncomingTransfer, 'id' | 'storeId'>): Promise<{ row: StoreRow; store: LocalStore }> {
    if (t.storeId === null) throw new LibrarianError(500, `Transfer ${t.id} has no store.`, 'Stage it again.');
    const row = await this.stores.rowById(t.storeId);
    return { row, store: this.stores.local(row) };
  }

  /** The transfer's staging directory, and where its data goes inside it. */
  async staging(t: IncomingTransfer): Promise<Staging> {
    return this.stagingOn(t, await this.storeOf(t));
  }

  /** The same, on the transfer's store already at hand (no query). */
  stagingOn(t: IncomingTransfer, { row, store }: { row: StoreRow; store: LocalStore }): Staging {
    const dir = store.stagingDirFor(t.stagingPath!);
    return { dir, location: path.join(dir, t.uploadName), store, row };
  }

  /**
   * The one staging routine: a UUID directory on the store and an INITIATED transfer naming it.
   * Repeating it with the same staging name returns the transfer made the first time.
   */
  async stage(s: StageIncoming): Promise<IncomingTransfer> {
    // The row first, then its directory: a process killed in between leaves a transfer that the
    // next attempt finds (and whose directory it makes), never a directory that nothing names.
    // A repeat is found by the staging name's unique index (the insert fails), so the usual first
    // attempt costs one statement, not a lookup and an insert.
    let t: IncomingTransfer;
    let made = true;
    try {
      t = await this.db.incomingTransfer.create({
        data: {
          status: 'INITIATED',
          uploader: s.uploader,
          source: s.source,
          fileSource: s.fileSource,
          createdBy: s.createdBy,
          uploadName: s.uploadName,
          transferSize: BigInt(s.size),
          transferChecksum: s.checksum,
          storeId: s.store.row.id,
          stagingPath: s.stagingName,
          storePath: s.destination,
          workflowId: s.workflowId,
          sourceTransferId: s.sourceTransferId,
          fileCreateTime: s.fileCreateTime,
          deletionPolicy: s.deletionPolicy,
          journalKey: randomBytes(32).toString('base64url'),
        },
      });
    } catch (e) {
      const raced = await this.db.incomingTransfer.findUnique({ where: { stagingPath: s.stagingName } });
      if (!raced) throw e;
      t = raced;
      made = false;
    }
    try {
      await s.store.store.makeStagingDir(s.stagingName);
    } catch (e) {
      // Only a row this call made goes: an earlier attempt's row may name data already copied in.
      if (made) await this.db.incomingTransfer.deleteMany({ where: { id: t.id, status: 'INITIATED' } });
      throw e;
    }
    return t;
  }

  /** Records when the file was created at its source (learned after staging, from a v2 peer). */
  async setFileCreateTime(id: number, at: Date): Promise<void> {
    await this.db.incomingTransfer.update({ where: { id }, data: { fileCreateTime: at } });
  }

  /**
   * The checksum of an upload staged without one, declared at its commit (before the commit
   * verifies the data against it). Once known it does not change: another is refused. A transfer
   * no longer open is returned as it is, for the commit to report why.
   */
  async declareChecksum(t: IncomingTransfer, checksum: string): Promise<IncomingTransfer> {
    if (t.transferChecksum !== null) {
      if (sameChecksum(t.transferChecksum, checksum)) return t;
      throw conflict(
        `Transfer ${t.id} was staged with checksum ${t.transferChecksum}, but its commit declares ${checksum}.`,
        'Commit with the checksum the stage declared; if the data changed since, stage the upload again.',
      );
    }
    const r = await this.db.incomingTransfer.updateMany({ where: { id: t.id, transferChecksum: null, status: { in: ['INITIATED', 'ONGOING'] } }, data: { transferChecksum: checksum } });
    if (r.count === 1) return { ...t, transferChecksum: checksum };
    // A commit repeated concurrently declared it first, or the transfer has ended meanwhile.
    const now = await this.get(t.id);
    return now.transferChecksum === null ? now : this.declareChecksum(now, checksum);
  }

  /**
   * Moves one transfer to `to` if the table allows it from where it is; already being in `to` is
   * fine. `extra` is written with the status (method, end time, failure).
   */
  private async move(id: number, to: TransferStatus, extra: Prisma.IncomingTransferUpdateManyMutationInput = {}, q: Query = this.db, known?: TransferStatus): Promise<Transition> {
    // The caller read the status a moment ago: one conditional update, unless it changed since.
    if (known !== undefined && known !== to && sourcesOf(to).includes(known)) {
      const r = await q.incomingTransfer.updateMany({ where: { id, status: known }, data: { ...extra, status: to } });
      if (r.count === 1) return { id, from: known, to, changed: true };
    }
    for (;;) {
      const t = await q.incomingTransfer.findUnique({ where: { id } });
      if (!t) throw notFound(`No transfer with id ${id}.`, 'Use the transfer id this Librarian gave you.');
      if (t.status === to) return { id, from: to, to, changed: false };
      if (!sourcesOf(to).includes(t.status)) {
        throw notAcceptable(`Transfer ${id} is ${t.status}; it cannot become ${to}.`, t.status === 'FAILED' || t.status === 'CANCELLED' ? 'Stage it again.' : 'Nothing to do.');
      }
      // Conditional on the status just read: a concurrent change makes this match nothing, and
      // the loop looks again (statuses only move forward, so it ends).
      const r = await q.incomingTransfer.updateMany({ where: { id, status: t.status }, data: { ...extra, status: to } });
      if (r.count === 1) return { id, from: t.status, to, changed: true };
    }
  }

  ongoing(id: number, method?: string): Promise<Transition> {
    return this.move(id, 'ONGOING', method ? { transferMethod: method } : {});
  }

  /** `known`: the status the caller read, which saves reading it again when it still holds. */
  staged(id: number, method?: string, known?: TransferStatus): Promise<Transition> {
    return this.move(id, 'STAGED', method ? { transferMethod: method } : {}, this.db, known);
  }

  /** Within the transaction that catalogues the File and Instance. */
  completed(tx: Prisma.TransactionClient, id: number, known?: TransferStatus): Promise<Transition> {
    return this.move(id, 'COMPLETED', { endTime: new Date() }, tx, known);
  }

  /**
   * Ends an unfinished transfer as FAILED (or CANCELLED) with a reason and removes its staging.
   * Idempotent; a COMPLETED transfer stays COMPLETED (its staging, if any, is still removed).
   */
  async failed(id: number, reason: string, status = 409, to: 'FAILED' | 'CANCELLED' = 'FAILED'): Promise<void> {
    const t = await this.find(id);
    if (!t) return;
    const r = await this.db.incomingTransfer.updateMany({
      where: { id, status: { notIn: TERMINAL_STATUSES } },
      data: { status: to, endTime: new Date(), failureReason: reason, failureStatus: status },
    });
    // The end is recorded: removing the staging is best effort, so a disk that keeps failing
    // cannot hold up (or fail) the step that ends the transfer, which waits out only an outage of
    // the catalog (workflows/retries.ts CATALOG_UNTIL_IT_ANSWERS).
    await this.removeStaging(t, { bestEffort: true });
    if (r.count) this.log.info({ transfer: id, status: to, reason }, 'incoming transfer ended');
  }

  /**
   * Removes a transfer's staging directory. Where that cannot be done at all (a read-only or
   * inaccessible disk), or at all now when `bestEffort` (any error of the disk), it is logged
   * for operators rather than tried again; the transfer has ended either way. `opts.store`: the
   * transfer's store, when the caller has it at hand (no query).
   */
  async removeStaging(t: IncomingTransfer, opts: { bestEffort?: boolean; store?: LocalStore } = {}): Promise<void> {
    if (t.storeId === null || !t.stagingPath) return;
    const store = opts.store ?? (await this.storeOf(t)).store;
    const dir = store.stagingDirFor(t.stagingPath);
    try {
      await removeTree(dir);
    } catch (e) {
      if (!isPermanentFsError(e) && !(opts.bestEffort && isFsError(e))) throw e;
      this.log.error({ transfer: t.id, dir, err: (e as Error).message }, 'the staging directory of an ended transfer cannot be removed; remove it by hand once the disk allows it');
    }
  }

  /**
   * Claims the right to write a transfer's staging area for one HTTP request, in whichever API
   * process it arrives: a lease in the catalog, renewed while data flows and released at the end
   * (or expiring, if the process dies). Returns a release function.
   */
  async claimReceiving(id: number): Promise<{ renew(): Promise<void>; release(): Promise<void> }> {
    const until = () => new Date(Date.now() + RECEIVING_LEASE_MS);
    const r = await this.db.incomingTransfer.updateMany({
      where: { id, OR: [{ receivingUntil: null }, { receivingUntil: { lt: new Date() } }] },
      data: { receivingUntil: until() },
    });
    if (r.count === 0) throw conflict(`Another request is already sending data for transfer ${id}.`, 'Wait for it to finish, or close it, then resume (upload/status tells what the server holds).');
    return {
      renew: async () => {
        await this.db.incomingTransfer.updateMany({ where: { id }, data: { receivingUntil: until() } });
      },
      release: async () => {
        await this.db.incomingTransfer.updateMany({ where: { id }, data: { receivingUntil: null } });
      },
    };
  }
}
