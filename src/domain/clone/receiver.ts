/**
 * The receiving side of remote clones (inventory §2.4-2.5) and of drive ingests: batch staging
 * with per-item results, what the source reports about its transfers, committing what arrived,
 * and telling the source. The receiveClone workflow runs these steps for each transfer, and is
 * the one writer of its STAGED status (whoever learns that the data is there signals it).
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { parseChecksum, sameChecksum } from '../../shared/checksums';
import { badRequest, forbidden, isLibrarianError, LibrarianError, notAcceptable, notFound } from '../../shared/errors';
import { checkFileName } from '../../shared/names';
import { canMove, STATUS_VALUE, statusName, type TransferStatus } from '../../shared/transferStatus';
import type { Db } from '../catalog/db';
import type { DeletionPolicyName, Ingest } from '../ingest';
import type { PeerRegistry } from '../peers/registry';
import type { LocalStore } from '../stores/localStore';
import type { StoreService } from '../stores/stores';
import type { IncomingTransfer, IncomingTransfers, Transition } from '../transfers/incoming';
import type { Principal } from '../users/users';

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
  /** The peer the items come from (told of their outcome). */
  source: string;
  storeName: string | null;
  storeId: number | null;
  availableBytes: number;
  staged: StagedItem[];
  alreadyPresent: { sourceTransferId: number; storeId: number; checksum: string }[];
  refused: { sourceTransferId: number; status: number; reason: string }[];
  transferMethods: { local?: { hostnames: string[] }; globus?: { endpointId: string; root: string } };
  /** Incoming transfers created now (their receive workflows must be started). */
  created: number[];
  /** Stale incoming transfers failed now (their receive workflows must be told). */
  superseded: number[];
}

export interface IncomingUpdate {
  /** Transfers whose receive workflow must hear of the change (to STAGED, FAILED or CANCELLED). */
  changed: Transition[];
  modified: number[];
  unmodified: number[];
  reasons: string[];
  statuses: Record<number, TransferStatus | null>;
}

function isAdmin(p: Principal): boolean {
  return p.level === 'ADMIN';
}

/**
 * A peer sees and changes only the clones it sent (an admin, all clones); uploads are not reached
 * through the clone and checkin endpoints at all (their own workflow owns them).
 */
function sentBy(p: Principal, t: { source: string; createdBy: string | null; sourceTransferId: number | null }): boolean {
  return t.sourceTransferId !== null && (isAdmin(p) || t.source === p.username || t.createdBy === p.username);
}

export class CloneReceiver {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly incoming: IncomingTransfers,
    private readonly ingest: Ingest,
    private readonly peers: PeerRegistry,
    private readonly log: Logger,
  ) {}

  private async isPeer(name: string): Promise<boolean> {
    return this.peers.row(name).then(
      () => true,
      (e: unknown) => {
        if (isLibrarianError(e) && e.status === 404) return false;
        throw e;
      },
    );
  }

  /**
   * Clones come from a registered peer, through that peer's own account; the peer is the one told
   * of the outcome. `uploaderAsPeer` (clone/stage, one item): v2's SneakerNet ingest, run by an
   * admin, sends as `source` the file's original source (an account or pipeline at the sending
   * site) and as `uploader` the sending Librarian's name (wire-v2.md §3.9, §5.9). When an admin
   * names a source that is not a peer, that uploader is the peer if it is one, and the source
   * stays the File's source.
   */
  private async checkSource(principal: Principal, source: string, uploaderAsPeer?: string): Promise<{ peer: string; fileSource?: string }> {
    if (!isAdmin(principal) && principal.username !== source) {
      throw forbidden(`Account "${principal.username}" cannot send clones on behalf of "${source}".`, 'A peer sends through the account named after it.');
    }
    if (await this.isPeer(source)) return { peer: source };
    if (isAdmin(principal) && uploaderAsPeer !== undefined && uploaderAsPeer !== source) {
      if (await this.isPeer(uploaderAsPeer)) return { peer: uploaderAsPeer, fileSource: source };
      throw badRequest(
        `Neither the source "${source}" nor the uploader "${uploaderAsPeer}" is a peer of this Librarian, so no Librarian could be told when the file arrives.`,
        `Add the sending Librarian first (librarian peers add NAME ...) and name it as the source or, as v2's SneakerNet ingest does, as the uploader.`,
      );
    }
    throw badRequest(`"${source}" is not a peer of this Librarian, so it could not be told when its files arrive.`, `Add it first: librarian peers add ${source} ...`);
  }

  /**
   * Stages what can be staged; the rest is `alreadyPresent` or `refused`, per item. With
   * `allOrNothing` (v2 senders), nothing is staged unless every item can be. With
   * `uploaderAsPeer` (clone/stage: one item), an admin's source that is not a peer may name the
   * File's source, the item's uploader then being the peer (see checkSource).
   */
  async batchStage(principal: Principal, requestedSource: string, items: CloneItem[], opts: { allOrNothing?: boolean; uploaderAsPeer?: boolean } = {}): Promise<BatchStageResult> {
    const { peer: source, fileSource } = await this.checkSource(principal, requestedSource, opts.uploaderAsPeer && items.length === 1 ? items[0]!.uploader : undefined);
    const result: BatchStageResult = { source, storeName: null, storeId: null, availableBytes: 0, staged: [], alreadyPresent: [], refused: [], transferMethods: {}, created: [], superseded: [] };
    const toStage: CloneItem[] = [];
    const repairItems: { item: CloneItem; storeId: number }[] = [];
    for (const item of items) {
      try {
        parseChecksum(item.uploadChecksum);
        checkFileName(item.destination);
        if (item.uploadSize < 0) throw badRequest('Upload size must be positive.', 'Send the file size in bytes.');
      } catch (e) {
        if (!isLibrarianError(e)) throw e;
        result.refused.push({ sourceTransferId: item.sourceTransferId, status: e.status, reason: e.reason });
        continue;
      }
      const file = await this.db.file.findUnique({ where: { name: item.destination }, include: { instances: { where: { available: true }, take: 1 } } });
      let repairs: number | undefined;
      if (file) {
        const same = sameChecksum(file.checksum, item.uploadChecksum);
        if (same && file.instances[0]) {
          result.alreadyPresent.push({ sourceTransferId: item.sourceTransferId, storeId: file.instances[0].storeId, checksum: file.checksum });
          continue;
        }
        // Our copies are damaged: a good one is welcome, staged on the damaged copy's store.
        repairs = same ? await this.damagedStore(file.name) : undefined;
        if (repairs === undefined) {
          result.refused.push({ sourceTransferId: item.sourceTransferId, status: 409, reason: `"${item.destination}" already exists here with checksum ${file.checksum}.` });
          continue;
        }
      }
      const active = await this.incoming.activeFor(item.destination);
      const mine = active.find((t) => t.source === source && t.sourceTransferId === item.sourceTransferId);
      if (mine) {
        // The source asks again (its earlier reply was lost): same transfer, same staging.
        result.staged.push(await this.stagedItem(mine));
        continue;
      }
      if (active.length) {
        const t = active[0]!;
        if (opts.allOrNothing && t.status === 'INITIATED' && t.source === source) {
          // A v2 sender's earlier transfer of the file, still waiting for data: it offers a file
          // again only once its own transfer has ended, so ours is stale. As v2 does (wire-v2.md
          // §2.3 #6-7), it is failed and the batch answered 406; the sender stages it next time.
          await this.incoming.failed(t.id, `${source} offered the file again (its transfer ${item.sourceTransferId}).`, 406);
          result.superseded.push(t.id);
          result.refused.push({ sourceTransferId: item.sourceTransferId, status: 406, reason: `"${item.destination}" was already staged for ${source} (transfer ${t.id}, now failed); offer it again.` });
          continue;
        }
        // To a v2 sender a 409 means "we have the file" (it looks for our copy): another source's
        // INITIATED transfer is "ongoing" to it, and left alone.
        const status = t.status === 'INITIATED' && !opts.allOrNothing ? 409 : 425;
        result.refused.push({ sourceTransferId: item.sourceTransferId, status, reason: `"${item.destination}" is already being received (transfer ${t.id} from ${t.source}, ${t.status}).` });
        continue;
      }
      if (repairs === undefined) toStage.push(item);
      else repairItems.push({ item, storeId: repairs });
    }
    if (opts.allOrNothing && (result.alreadyPresent.length > 0 || result.refused.length > 0)) return { ...result, staged: [] };
    // A repair goes to its own store; the rest of the batch to one store with room for all of it.
    const groups: { items: CloneItem[]; prefer?: number }[] = [...repairItems.map((r) => ({ items: [r.item], prefer: r.storeId })), ...(toStage.length ? [{ items: toStage }] : [])];
    for (const group of groups) {
      let picked;
      try {
        picked = await this.stores.pickForIngest(group.items.reduce((s, i) => s + i.uploadSize, 0), group.prefer);
      } catch (e) {
        if (!isLibrarianError(e)) throw e;
        for (const i of group.items) result.refused.push({ sourceTransferId: i.sourceTransferId, status: e.status, reason: e.reason });
      }
      if (picked) {
        result.storeName = picked.row.name;
        result.storeId = picked.row.id;
        result.availableBytes = picked.free;
        result.transferMethods = this.stores.transferMethods(picked.row);
        for (const item of group.items) {
          const t = await this.incoming.stage({
            store: picked,
            stagingName: randomUUID(),
            uploader: item.uploader,
            source,
            fileSource,
            createdBy: principal.username,
            uploadName: path.posix.basename(item.destination),
            destination: item.destination,
            size: item.uploadSize,
            checksum: item.uploadChecksum,
            sourceTransferId: item.sourceTransferId,
            fileCreateTime: item.createTime,
            deletionPolicy: this.config.clone.deletionPolicy,
          });
          result.created.push(t.id);
          result.staged.push(stagedItemOf(t, picked.store));
        }
      }
    }
    if (!result.storeName && result.staged.length) {
      const { row } = await this.incoming.storeOf(await this.incoming.get(result.staged[0]!.destinationTransferId));
      result.storeName = row.name;
      result.storeId = row.id;
      result.transferMethods = this.stores.transferMethods(row);
      result.availableBytes = await this.stores.free(row);
    }
    this.log.info({ source, staged: result.staged.length, present: result.alreadyPresent.length, refused: result.refused.length }, 'clone batch staged');
    return result;
  }

  /** The store of a damaged (lost or corrupt, awaiting repair) copy of the file, if it has one. */
  private async damagedStore(fileName: string): Promise<number | undefined> {
    const f = await this.db.finding.findFirst({ where: { fileName, kind: { in: ['LOST', 'CORRUPT'] }, resolvedAt: null }, orderBy: { id: 'asc' } });
    return f?.storeId;
  }

  private async stagedItem(t: IncomingTransfer): Promise<StagedItem> {
    const { store } = await this.incoming.storeOf(t);
    // Asked again after a crash between recording the transfer and making its directory.
    if (t.stagingPath) await store.makeStagingDir(t.stagingPath);
    return stagedItemOf(t, store);
  }

  private async incomingFor(principal: Principal, id: number): Promise<IncomingTransfer> {
    const t = await this.db.incomingTransfer.findUnique({ where: { id } });
    if (!t || t.sourceTransferId === null) throw notFound(`No incoming transfer with id ${id}.`, 'Use the destination_transfer_id returned by clone/stage or clone/batch_stage.');
    if (!sentBy(principal, t)) {
      throw forbidden(`Incoming transfer ${id} does not belong to "${principal.username}".`, 'Only the sending Librarian (or an admin) may change it.');
    }
    return t;
  }

  /** clone/ongoing: the source started moving the data (INITIATED → ONGOING). */
  async ongoing(principal: Principal, id: number): Promise<Transition> {
    const t = await this.incomingFor(principal, id);
    if (t.status === 'ONGOING') return { id, from: 'ONGOING', to: 'ONGOING', changed: false };
    if (t.status !== 'INITIATED') throw notAcceptable(`Incoming transfer ${id} is ${t.status}, not INITIATED.`, 'Only a INITIATED transfer can become ONGOING.');
    return this.incoming.ongoing(id);
  }

  /**
   * clone/staged: the source says the data is in staging (ONGOING → STAGED). Checked here; the
   * transfer's receive workflow records it when told (see the module comment).
   */
  async stagedBySource(principal: Principal, id: number): Promise<Transition> {
    const t = await this.incomingFor(principal, id);
    if (t.status === 'STAGED') return { id, from: 'STAGED', to: 'STAGED', changed: false };
    if (t.status !== 'ONGOING') throw notAcceptable(`Incoming transfer ${id} is ${t.status}, not ONGOING.`, 'Only a ONGOING transfer can become STAGED.');
    return { id, from: t.status, to: 'STAGED', changed: true };
  }

  /** clone/fail: the source gave up on a transfer. */
  async failedBySource(principal: Principal, id: number, reason: string): Promise<Transition> {
    const t = await this.incomingFor(principal, id);
    if (t.status === 'COMPLETED') throw notAcceptable(`Incoming transfer ${id} is already COMPLETED.`, 'The file arrived; nothing to fail.');
    await this.incoming.failed(id, `The source reported: ${reason}`, 409);
    return { id, from: t.status, to: 'FAILED', changed: t.status !== 'FAILED' };
  }

  /** checkin/update for incoming transfers (this side is the destination). */
  async updateIncoming(principal: Principal, ids: number[], to: TransferStatus): Promise<IncomingUpdate> {
    const out: IncomingUpdate = { changed: [], modified: [], unmodified: [], reasons: [], statuses: {} };
    for (const id of ids) {
      const t = await this.db.incomingTransfer.findUnique({ where: { id } });
      if (!t || !sentBy(principal, t)) {
        out.unmodified.push(id);
        out.statuses[id] = null;
        out.reasons.push(`Incoming transfer ${id}: not found.`);
        continue;
      }
      if (t.status === to) {
        out.modified.push(id);
        out.statuses[id] = to;
        continue;
      }
      const from = t.status;
      if (!canMove(from, to)) {
        out.unmodified.push(id);
        out.statuses[id] = from;
        out.reasons.push(`Incoming transfer ${id}: cannot go from ${from} to ${to}.`);
        continue;
      }
      if (to === 'FAILED' || to === 'CANCELLED') await this.incoming.failed(id, `The source set it ${to}.`, 409, to);
      else if (to === 'ONGOING') await this.incoming.ongoing(id);
      // STAGED is recorded by the transfer's receive workflow, which the caller tells.
      out.changed.push({ id, from, to, changed: true });
      out.modified.push(id);
      out.statuses[id] = to;
    }
    return out;
  }

  async statusOfIncoming(principal: Principal, ids: number[]) {
    const out: Record<number, { status: TransferStatus; storeId: number | null; failureReason: string | null } | null> = {};
    for (const id of ids) {
      const t = await this.db.incomingTransfer.findUnique({ where: { id } });
      out[id] = t && sentBy(principal, t) ? { status: t.status, storeId: t.storeId, failureReason: t.failureReason } : null;
    }
    return out;
  }

  // ---- steps of the receive workflow ----

  /** The data is in staging (the one writer of STAGED for clones and drive entries). */
  async markStaged(transferId: number, method?: string): Promise<TransferStatus> {
    const t = await this.incoming.get(transferId);
    if (t.status !== 'INITIATED' && t.status !== 'ONGOING') return t.status;
    return (await this.incoming.staged(transferId, method)).to;
  }

  async status(transferId: number): Promise<TransferStatus> {
    return (await this.incoming.get(transferId)).status;
  }

  /**
   * Catalogues a verified clone, keeping its original uploader and creation time. When the same
   * file arrived by another way meanwhile, that copy is what counts: this transfer ends and the
   * source is told the store that holds it.
   */
  async commit(transferId: number, deletionPolicy: DeletionPolicyName, opts: Parameters<Ingest['commit']>[2] = {}): Promise<{ storeId: number }> {
    try {
      return { storeId: (await this.ingest.commit(transferId, deletionPolicy, opts)).storeId };
    } catch (e) {
      if (!isLibrarianError(e) || e.status !== 409) throw e;
      const t = await this.incoming.get(transferId);
      const file = await this.db.file.findUnique({ where: { name: t.storePath }, include: { instances: { where: { available: true }, take: 1 } } });
      if (!file || file.checksum !== t.transferChecksum || !file.instances[0]) throw e;
      await this.incoming.failed(transferId, 'The file arrived by another transfer.', 409);
      return { storeId: file.instances[0].storeId };
    }
  }

  /** Tells the source its file arrived and where. */
  async tellSourceComplete(transferId: number, storeId: number): Promise<void> {
    const t = await this.incoming.get(transferId);
    await (await this.peers.client(t.source)).cloneComplete({ source_transfer_id: t.sourceTransferId!, destination_transfer_id: t.id, store_id: storeId });
  }

  /** Tells the source this copy failed here, so it offers the file again. */
  async tellSourceFailed(transferId: number, reason: string): Promise<{ acknowledged: boolean }> {
    const t = await this.incoming.get(transferId);
    const r = await (await this.peers.client(t.source)).checkinUpdate({ source_transfer_ids: [t.sourceTransferId!], destination_transfer_ids: [], new_status: STATUS_VALUE.FAILED, reason });
    return { acknowledged: !r.unmodified_source_transfer_ids.includes(t.sourceTransferId!) };
  }

  /**
   * When the file was created at the source, for a clone whose source did not say (v2 peers):
   * from its search/file, if the file there is the one we receive (same checksum).
   */
  async learnCreateTime(transferId: number): Promise<Date | null> {
    const t = await this.incoming.get(transferId);
    if (t.fileCreateTime) return t.fileCreateTime;
    const theirs = await (await this.peers.client(t.source)).findFile(t.storePath);
    if (!theirs?.create_time || t.transferChecksum === null || !sameChecksum(theirs.checksum, t.transferChecksum)) return null;
    // v2 writes UTC wall-clock time without an offset (wire-v2.md §1.6).
    const at = new Date(/(Z|[+-]\d\d:?\d\d)$/.test(theirs.create_time) ? theirs.create_time : `${theirs.create_time}Z`);
    if (Number.isNaN(at.getTime())) return null;
    await this.incoming.setFileCreateTime(t.id, at);
    return at;
  }

  /** The source's view of a transfer (for a clone whose data is late). */
  async askSource(transferId: number): Promise<TransferStatus | null> {
    const t = await this.incoming.get(transferId);
    const r = await (await this.peers.client(t.source)).checkinStatus({ source_transfer_ids: [t.sourceTransferId!], destination_transfer_ids: [] });
    const v = r.source_transfer_status[String(t.sourceTransferId)];
    return v === null || v === undefined ? null : (statusName(v) ?? null);
  }

  /** Tells a source that a file it put on a drive is already here, so it records the copy. */
  async tellSourcePresent(source: string, sourceTransferId: number, storeId: number): Promise<void> {
    try {
      await (await this.peers.client(source)).cloneComplete({ source_transfer_id: sourceTransferId, destination_transfer_id: -1, store_id: storeId });
    } catch (e) {
      // The source no longer knows the transfer (e.g. its trip was wiped): nothing to confirm.
      if (e instanceof LibrarianError && e.status === 404) return;
      throw e;
    }
  }
}

/** What the source needs to know about a staged item: where to put its data. */
function stagedItemOf(t: IncomingTransfer, store: LocalStore): StagedItem {
  return {
    sourceTransferId: t.sourceTransferId ?? -1,
    destinationTransferId: t.id,
    stagingName: t.stagingPath!,
    stagingLocation: path.join(store.stagingDirFor(t.stagingPath!), t.uploadName),
    uploadName: t.uploadName,
    destination: t.storePath,
  };
}
