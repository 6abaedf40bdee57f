/**
 * The receiving side of remote clones (inventory §2.4-2.5): batch staging with per-item results,
 * the status transitions of checkin/update, and failure reports from the source. What happens to
 * staged data afterwards (verify, commit, call back) is the receiveClone workflow.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config';
import { badRequest, forbidden, isLibrarianError, notAcceptable, notFound } from '../errors';
import type { Logger } from '../logger';
import { parseChecksum, sameChecksum } from './checksums';
import type { Db } from './db';
import { safeRelativePath, type LocalStore } from './localStore';
import type { PeerService } from './peers';
import type { StoreService } from './stores';
import { ACTIVE_STATUSES, canMove, type TransferStatus } from './transferStatus';
import type { UploadService } from './uploads';
import type { Principal } from './users';

export interface CloneItem {
  uploadSize: number;
  uploadChecksum: string;
  destination: string;
  uploader: string;
  sourceTransferId: number;
  createTime?: Date;
}

export interface StagedItem {
  sourceTransferId: number;
  destinationTransferId: number;
  stagingName: string;
  stagingLocation: string;
  uploadName: string;
  destination: string;
}

export interface BatchStageResult {
  storeName: string | null;
  storeId: number | null;
  availableBytes: number;
  staged: StagedItem[];
  alreadyPresent: { sourceTransferId: number; storeId: number; checksum: string }[];
  refused: { sourceTransferId: number; status: number; reason: string }[];
  transferMethods: { local?: { hostnames: string[] }; globus?: { endpointId: string; root: string } };
  /** Incoming transfers created now (their receive workflows must be started). */
  created: number[];
}

export interface StatusChange {
  id: number;
  from: TransferStatus;
  to: TransferStatus;
}

function isAdmin(p: Principal): boolean {
  return p.level === 'ADMIN';
}

/** A peer sees and changes only the transfers it sent (an admin, all of them). */
function sentBy(p: Principal, t: { source: string; createdBy: string | null }): boolean {
  return isAdmin(p) || t.source === p.username || t.createdBy === p.username;
}

export class CloneReceiveService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly uploads: UploadService,
    private readonly peers: PeerService,
    private readonly log: Logger,
  ) {}

  /** Clones come from a registered peer, through that peer's own account. */
  private async checkSource(principal: Principal, source: string): Promise<void> {
    if (!isAdmin(principal) && principal.username !== source) {
      throw forbidden(`Account "${principal.username}" cannot send clones on behalf of "${source}".`, 'A peer sends through the account named after it.');
    }
    await this.peers.row(source).catch((e) => {
      if (isLibrarianError(e) && e.status === 404) {
        throw badRequest(`"${source}" is not a peer of this Librarian, so it could not be told when its files arrive.`, `Add it first: librarian peers add ${source} ...`);
      }
      throw e;
    });
  }

  async batchStage(principal: Principal, source: string, items: CloneItem[]): Promise<BatchStageResult> {
    await this.checkSource(principal, source);
    const result: BatchStageResult = { storeName: null, storeId: null, availableBytes: 0, staged: [], alreadyPresent: [], refused: [], transferMethods: {}, created: [] };
    const toStage: CloneItem[] = [];
    for (const item of items) {
      try {
        parseChecksum(item.uploadChecksum);
        safeRelativePath(item.destination, 'destination path');
        if (item.uploadSize < 0) throw badRequest('Upload size must be positive.', 'Send the file size in bytes.');
      } catch (e) {
        if (!isLibrarianError(e)) throw e;
        result.refused.push({ sourceTransferId: item.sourceTransferId, status: e.status, reason: e.reason });
        continue;
      }
      const file = await this.db.file.findUnique({ where: { name: item.destination }, include: { instances: { where: { available: true }, take: 1 } } });
      if (file) {
        if (sameChecksum(file.checksum, item.uploadChecksum) && file.instances[0]) {
          result.alreadyPresent.push({ sourceTransferId: item.sourceTransferId, storeId: file.instances[0].storeId, checksum: file.checksum });
        } else {
          result.refused.push({ sourceTransferId: item.sourceTransferId, status: 409, reason: `"${item.destination}" already exists here with checksum ${file.checksum}.` });
        }
        continue;
      }
      const active = await this.db.incomingTransfer.findMany({ where: { storePath: item.destination, status: { in: ACTIVE_STATUSES } } });
      const mine = active.find((t) => t.source === source && t.sourceTransferId === item.sourceTransferId);
      if (mine) {
        // The source asks again (its earlier reply was lost): same transfer, same staging.
        result.staged.push(stagedItem(mine, this.stores.local(await this.stores.rowById(mine.storeId!))));
        continue;
      }
      if (active.length) {
        const t = active[0]!;
        result.refused.push({ sourceTransferId: item.sourceTransferId, status: t.status === 'INITIATED' ? 409 : 425, reason: `"${item.destination}" is already being received (transfer ${t.id} from ${t.source}, ${t.status}).` });
        continue;
      }
      toStage.push(item);
    }
    if (toStage.length) {
      const total = toStage.reduce((s, i) => s + i.uploadSize, 0);
      let picked;
      try {
        picked = await this.uploads.pickStore(total);
      } catch (e) {
        if (!isLibrarianError(e)) throw e;
        for (const i of toStage) result.refused.push({ sourceTransferId: i.sourceTransferId, status: e.status, reason: e.reason });
        toStage.length = 0;
      }
      if (picked) {
        result.storeName = picked.row.name;
        result.storeId = picked.row.id;
        result.availableBytes = picked.free;
        result.transferMethods = this.stores.transferMethods(picked.row);
        for (const item of toStage) {
          const stagingName = randomUUID();
          const uploadName = path.posix.basename(item.destination);
          await picked.store.makeStagingDir(stagingName);
          const t = await this.db.incomingTransfer.create({
            data: {
              status: 'INITIATED',
              uploader: item.uploader,
              source,
              createdBy: principal.username,
              uploadName,
              transferSize: BigInt(item.uploadSize),
              transferChecksum: item.uploadChecksum,
              storeId: picked.row.id,
              stagingPath: stagingName,
              storePath: item.destination,
              sourceTransferId: item.sourceTransferId,
              fileCreateTime: item.createTime,
              deletionPolicy: this.config.clone.deletionPolicy,
            },
          });
          result.created.push(t.id);
          result.staged.push(stagedItem(t, picked.store));
        }
      }
    }
    if (!result.storeName && result.staged.length) {
      const first = await this.db.incomingTransfer.findUniqueOrThrow({ where: { id: result.staged[0]!.destinationTransferId } });
      const row = await this.stores.rowById(first.storeId!);
      result.storeName = row.name;
      result.storeId = row.id;
      result.transferMethods = this.stores.transferMethods(row);
      result.availableBytes = await this.stores.free(row);
    }
    this.log.info({ source, staged: result.staged.length, present: result.alreadyPresent.length, refused: result.refused.length }, 'clone batch staged');
    return result;
  }

  private async incomingFor(principal: Principal, id: number) {
    const t = await this.db.incomingTransfer.findUnique({ where: { id } });
    if (!t) throw notFound(`No incoming transfer with id ${id}.`, 'Use the destination_transfer_id returned by clone/stage or clone/batch_stage.');
    if (!sentBy(principal, t)) {
      throw forbidden(`Incoming transfer ${id} does not belong to "${principal.username}".`, 'Only the sending Librarian (or an admin) may change it.');
    }
    return t;
  }

  /** clone/ongoing and clone/staged: one step of the status table for one transfer. */
  async step(principal: Principal, id: number, from: TransferStatus, to: TransferStatus): Promise<StatusChange> {
    const t = await this.incomingFor(principal, id);
    if (t.status === to) return { id, from: to, to };
    if (t.status !== from) {
      throw notAcceptable(`Incoming transfer ${id} is ${t.status}, not ${from}.`, `Only a ${from} transfer can become ${to}.`);
    }
    await this.db.incomingTransfer.update({ where: { id }, data: { status: to } });
    return { id, from, to };
  }

  /** The source reports that it gave up on a transfer. */
  async fail(principal: Principal, id: number, reason: string): Promise<StatusChange> {
    const t = await this.incomingFor(principal, id);
    if (t.status === 'COMPLETED') throw notAcceptable(`Incoming transfer ${id} is already COMPLETED.`, 'The file arrived; nothing to fail.');
    await this.uploads.fail(id, `The source reported: ${reason}`, 409);
    return { id, from: t.status, to: 'FAILED' };
  }

  /** checkin/update for incoming transfers (this side is the destination). */
  async updateIncoming(principal: Principal, ids: number[], to: TransferStatus) {
    const modified: StatusChange[] = [];
    const unmodified: number[] = [];
    const reasons: string[] = [];
    const statuses: Record<number, TransferStatus | null> = {};
    for (const id of ids) {
      const t = await this.db.incomingTransfer.findUnique({ where: { id } });
      if (!t || !sentBy(principal, t)) {
        unmodified.push(id);
        statuses[id] = null;
        reasons.push(`Incoming transfer ${id}: not found.`);
        continue;
      }
      if (t.status === to) {
        modified.push({ id, from: to, to });
        statuses[id] = to;
        continue;
      }
      if (!canMove(t.status, to)) {
        unmodified.push(id);
        statuses[id] = t.status;
        reasons.push(`Incoming transfer ${id}: cannot go from ${t.status} to ${to}.`);
        continue;
      }
      if (to === 'FAILED' || to === 'CANCELLED') await this.uploads.fail(id, `The source set it ${to}.`, 409);
      else await this.db.incomingTransfer.update({ where: { id }, data: { status: to } });
      modified.push({ id, from: t.status, to });
      statuses[id] = to;
    }
    return { modified, unmodified, reasons, statuses };
  }

  async statusOfIncoming(principal: Principal, ids: number[]) {
    const out: Record<number, { status: TransferStatus; storeId: number | null } | null> = {};
    for (const id of ids) {
      const t = await this.db.incomingTransfer.findUnique({ where: { id } });
      out[id] = t && sentBy(principal, t) ? { status: t.status, storeId: t.storeId } : null;
    }
    return out;
  }
}

/** What the source needs to know about a staged item: where to put its data. */
function stagedItem(t: { id: number; sourceTransferId: number | null; stagingPath: string | null; uploadName: string; storePath: string }, store: LocalStore): StagedItem {
  return {
    sourceTransferId: t.sourceTransferId ?? -1,
    destinationTransferId: t.id,
    stagingName: t.stagingPath!,
    stagingLocation: path.join(store.stagingDirFor(t.stagingPath!), t.uploadName),
    uploadName: t.uploadName,
    destination: t.storePath,
  };
}
