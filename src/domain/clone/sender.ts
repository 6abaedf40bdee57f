/**
 * The sending side of one clone batch: telling the destination about its items, moving the bytes
 * by local copy (or handing Globus the items), and settling what the destination reports. Every
 * step is idempotent: the cloneBatch workflow retries it through outages.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import type { HashOptions } from '../../shared/checksums';
import { STATUS_VALUE, statusName, type TransferStatus } from '../../shared/transferStatus';
import { clone } from '../../protocol';
import { CLONE_EXTENSIONS } from '../../protocol/clone';
import type { ResponseOf } from '../../protocol/call';
import { sameChecksum } from '../../shared/checksums';
import type { Db } from '../catalog/db';
import type { Integrity } from '../audit/integrity';
import { toCollectionPath, type GlobusItem, type GlobusService } from '../globus/globus';
import type { NotificationService } from '../notifications';
import type { PeerClient } from '../peers/peerClient';
import type { PeerRegistry } from '../peers/registry';
import { dataSize, isUnreadable, writableAncestor } from '../stores/files';
import type { StoreService } from '../stores/stores';
import type { OutgoingTransfers } from '../transfers/outgoing';

export interface PeerOffer {
  local?: { hostnames: string[] };
  globus?: { endpointId: string; root: string };
}

export interface BatchStaged {
  /** Items the destination staged, ready for data. */
  staged: { id: number; remoteId: number; sourcePath: string; destPath: string; size: number }[];
  /** Resolved at once (already there, or refused). */
  resolved: number;
  methods: PeerOffer;
  /** Whether this host can write into the destination's staging area directly. */
  localUsable: boolean;
}

export interface TransferRecordInput {
  batchId: string;
  method: string;
  taskId: string;
  sourceEndpointId?: string;
  destinationEndpointId?: string;
  start: Date;
  end: Date;
  bytes: number;
  files: number;
}

const statusOf = (v: number | null | undefined): TransferStatus | null => (v === null || v === undefined ? null : (statusName(v) ?? null));

/**
 * Why a transfer ended at the destination, in the words its checkin/update FAILED callback gives
 * (`<peer> reported FAILED: <reason>`), whichever of the two we hear first: files it rejected are
 * checked at home by that prefix (verifyRejected).
 */
function endedAtPeer(peer: string, status: TransferStatus | null, reason: string | null | undefined): string {
  if (status === null) return `${peer} does not know the transfer (checkin/status answers null)`;
  return `${peer} reported ${status}${reason ? `: ${reason}` : ' (it gave no reason)'}`;
}

export class CloneSender {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly peers: PeerRegistry,
    private readonly outgoing: OutgoingTransfers,
    private readonly globus: GlobusService,
    private readonly integrity: Integrity,
    private readonly notifications: NotificationService,
    private readonly log: Logger,
  ) {}

  /** clone/batch_stage on the destination for the batch's items that are not resolved yet. */
  async stageBatch(batchId: string): Promise<BatchStaged> {
    const peer = await this.outgoing.destinationOf(batchId);
    const transfers = (await this.outgoing.batch(batchId)).filter((t) => t.status === 'INITIATED' || t.status === 'ONGOING');
    if (transfers.length === 0) return { staged: [], resolved: 0, methods: {}, localUsable: false };
    const client = await this.peers.client(peer);
    const byId = new Map(transfers.map((t) => [t.id, t]));
    const peerRow = await this.peers.row(peer);
    let resolved = 0;
    let pending = transfers;
    let r: ResponseOf<typeof clone.batchStage> | undefined;
    let retriedStale = false;
    // A v2 peer stages a batch whole or not at all; each refusal settles the items it names (or,
    // once, is its notice that it failed its own stale transfers), so this ends.
    while (pending.length > 0) {
      const answer = await client.batchStage({
        source: this.config.name,
        extensions: CLONE_EXTENSIONS,
        total_size: pending.reduce((s, t) => s + Number(t.transferSize), 0),
        uploads: pending.map((t) => ({
          upload_size: Number(t.transferSize),
          upload_checksum: t.transferChecksum,
          upload_name: t.fileName,
          destination_location: t.fileName,
          uploader: t.file.uploader,
          source_transfer_id: t.id,
          create_time: t.file.createTime.toISOString(),
        })),
      });
      if (!('ids' in answer)) {
        r = answer;
        break;
      }
      const named = new Set(answer.ids.filter((id) => byId.has(id)));
      if (answer.status === 406 && !retriedStale) {
        retriedStale = true;
        continue;
      }
      if (named.size === 0 || answer.status === 406) {
        throw new Error(`clone/batch_stage on ${peer}: HTTP ${answer.status} ${answer.reason} (for transfers ${answer.ids.join(', ') || 'none of ours'})`);
      }
      for (const id of named) {
        const t = byId.get(id)!;
        if (answer.status === 425) await this.outgoing.cancelled([id], `${peer} is receiving "${t.fileName}" from elsewhere`);
        else await this.settleExisting(peer, peerRow.id, client, t);
        resolved++;
      }
      pending = pending.filter((t) => !named.has(t.id));
    }
    if (!r) return { staged: [], resolved, methods: {}, localUsable: false };
    for (const p of r.already_present ?? []) {
      if (!byId.has(p.source_transfer_id)) continue;
      await this.outgoing.confirmed(p.source_transfer_id, peerRow.id, p.store_id, 'already present at the destination');
      resolved++;
    }
    for (const x of r.refused ?? []) {
      if (!byId.has(x.source_transfer_id)) continue;
      const reason = `${peer} refused it (${x.status}): ${x.reason}`;
      // 425: the destination is receiving the file from elsewhere; not a failure of this copy.
      if (x.status === 425) await this.outgoing.cancelled([x.source_transfer_id], reason);
      else await this.outgoing.failed([x.source_transfer_id], reason);
      resolved++;
    }
    const staged: BatchStaged['staged'] = [];
    for (const u of r.uploads) {
      const t = byId.get(u.source_transfer_id);
      if (!t || !t.instance) continue;
      const sourcePath = this.stores.local(t.instance.store).storePathFor(t.instance.path);
      await this.outgoing.setDestination(t.id, { remoteTransferId: u.destination_transfer_id, sourcePath, destPath: u.staging_location });
      staged.push({ id: t.id, remoteId: u.destination_transfer_id, sourcePath, destPath: u.staging_location, size: Number(t.transferSize) });
    }
    const offer = r.async_transfer_providers;
    // v2 peers offer Globus as its collection (destination_endpoint) with staging paths as
    // collection paths (no root); local as hostnames.
    const globusEndpoint = offer.globus?.endpoint_id ?? offer.globus?.destination_endpoint;
    const methods: PeerOffer = {
      ...(offer.local ? { local: { hostnames: offer.local.hostnames ?? [] } } : {}),
      ...(offer.globus && globusEndpoint ? { globus: { endpointId: globusEndpoint, root: offer.globus.root ?? '' } } : {}),
    };
    let localUsable = false;
    if (methods.local && staged[0]) {
      const hostOk = methods.local.hostnames.length === 0 || methods.local.hostnames.includes(os.hostname());
      localUsable = hostOk && (await writableAncestor(path.dirname(staged[0].destPath)));
    }
    return { staged, resolved, methods, localUsable };
  }

  /**
   * A file the destination says it already has (a v2 peer's 409): recorded as copied there when
   * its copy has our checksum (as a v2 sender checks, with search/file), failed otherwise.
   */
  private async settleExisting(peer: string, peerId: number, client: PeerClient, t: { id: number; fileName: string; transferChecksum: string }): Promise<void> {
    const theirs = await client.findFile(t.fileName);
    const storeId = theirs?.instances.find((i) => typeof i.store_id === 'number')?.store_id;
    if (theirs && sameChecksum(theirs.checksum, t.transferChecksum) && typeof storeId === 'number') {
      await this.outgoing.confirmed(t.id, peerId, storeId, 'already present at the destination');
    } else {
      await this.outgoing.failed([t.id], theirs ? `${peer} has "${t.fileName}" with checksum ${theirs.checksum}, not ours` : `${peer} refused "${t.fileName}" as existing, but does not list it`);
    }
  }

  /**
   * checkin/update on the destination for the batch's items; items the destination has
   * already moved past `to` count as done. Returns items the destination says are gone.
   */
  async setPeerStatus(batchId: string, to: 'ONGOING' | 'STAGED', method?: string): Promise<{ failed: number[] }> {
    const peer = await this.outgoing.destinationOf(batchId);
    const items = (await this.outgoing.unfinished(batchId)).filter((t) => t.remoteTransferId !== null);
    if (items.length === 0) return { failed: [] };
    const client = await this.peers.client(peer);
    const r = await client.checkinUpdate({ destination_transfer_ids: items.map((t) => t.remoteTransferId!), source_transfer_ids: [], new_status: STATUS_VALUE[to] });
    // v2 peers answer which ids they moved, not where each stands: ask them for the rest.
    let statuses = r.destination_transfer_status;
    if (!statuses) {
      const moved = new Set(r.modified_destination_transfer_ids ?? []);
      const others = items.map((t) => t.remoteTransferId!).filter((id) => !moved.has(id));
      const asked = others.length ? (await client.checkinStatus({ source_transfer_ids: [], destination_transfer_ids: others })).destination_transfer_status : {};
      statuses = { ...asked, ...Object.fromEntries([...moved].map((id) => [String(id), STATUS_VALUE[to]])) };
    }
    const failed: number[] = [];
    const moved: number[] = [];
    const ended = items.filter((t) => {
      const name = statusOf(statuses?.[String(t.remoteTransferId)]);
      return name === 'FAILED' || name === 'CANCELLED' || name === null;
    });
    // Why they ended there (its own callback says so too, but may come later or not at all).
    const reasons = ended.length ? ((await client.checkinStatus({ source_transfer_ids: [], destination_transfer_ids: ended.map((t) => t.remoteTransferId!) })).destination_transfer_reasons ?? {}) : {};
    for (const t of items) {
      const name = statusOf(statuses?.[String(t.remoteTransferId)]);
      if (name === 'FAILED' || name === 'CANCELLED' || name === null) {
        await this.outgoing.failed([t.id], endedAtPeer(peer, name, reasons[String(t.remoteTransferId)]));
        failed.push(t.id);
      } else if (name !== 'COMPLETED') moved.push(t.id);
    }
    if (to === 'ONGOING') await this.outgoing.ongoing(moved, method);
    else await this.outgoing.staged(moved);
    return { failed };
  }

  /**
   * The batch's items that still go, with their sources checked: an item whose source copy is gone
   * or unreadable is recorded as lost (its instance is out of use until repaired, so it is offered
   * again only then), fails on its own, and the destination is told; the others go on.
   */
  private async sendable(batchId: string) {
    const items = (await this.outgoing.unfinished(batchId)).filter((t) => t.destPath && t.sourcePath);
    const ok = [];
    const lost: typeof items = [];
    for (const t of items) {
      try {
        await fs.access(t.sourcePath!, fs.constants.R_OK);
        ok.push(t);
      } catch (e) {
        if (!isUnreadable(e)) throw e;
        await this.dropLost(t, e);
        lost.push(t);
      }
    }
    await this.tellDestinationFailed(batchId, lost.map((t) => t.remoteTransferId));
    return { items: ok, lost: lost.length };
  }

  private async dropLost(t: { id: number; instanceId: number | null; sourcePath: string | null }, e: NodeJS.ErrnoException): Promise<void> {
    const why = t.instanceId !== null ? await this.integrity.recordLost(t.instanceId, e) : `${t.sourcePath}: ${e.message}`;
    await this.outgoing.failed([t.id], `the source copy is lost: ${why}`);
  }

  /**
   * Copies each staged item from our store into the destination's staging area. An item already
   * there in full (a retry after a crash) is not copied again; one whose source is lost fails alone.
   */
  async copyLocally(batchId: string, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<{ bytes: number; seconds: number; lost: number }> {
    const { items, lost: lostBefore } = await this.sendable(batchId);
    const total = items.reduce((s, t) => s + Number(t.transferSize), 0);
    const started = Date.now();
    let done = 0;
    const lost: (number | null)[] = [];
    for (const t of items) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      const size = Number(t.transferSize);
      const there = await dataSize(t.destPath!).catch(() => -1);
      if (there !== size) {
        await fs.rm(t.destPath!, { recursive: true, force: true });
        try {
          await fs.cp(t.sourcePath!, t.destPath!, { recursive: true, force: true, preserveTimestamps: true });
        } catch (e) {
          // Unreadable on our side (the destination's errors are worth retrying).
          if (!isUnreadable(e) || !(await fs.access(t.sourcePath!, fs.constants.R_OK).then(() => false, () => true))) throw e;
          await fs.rm(t.destPath!, { recursive: true, force: true });
          await this.dropLost(t, e);
          lost.push(t.remoteTransferId);
          continue;
        }
      }
      done += size;
      opts.onProgress?.(done, total);
    }
    await this.tellDestinationFailed(batchId, lost);
    return { bytes: done, seconds: (Date.now() - started) / 1000, lost: lostBefore + lost.length };
  }

  /**
   * Submits the batch's items as one Globus task (a retry with the same submission id makes no
   * second task); items whose source is lost fail alone first. No task when no item is left to send.
   */
  async submitToGlobus(batchId: string, submissionId: string, destinationEndpointId: string, destinationRoot: string): Promise<{ taskId: string | null; lost: number }> {
    const { items, lost } = await this.sendable(batchId);
    if (items.length === 0) return { taskId: null, lost };
    return { taskId: await this.globus.submit(submissionId, destinationEndpointId, await this.globusItems(items, destinationRoot), `librarian ${batchId}`), lost };
  }

  /** Items as Globus paths: ours under globus.localRoot, theirs under the root they offered. */
  private async globusItems(items: { sourcePath: string | null; destPath: string | null }[], destinationRoot: string): Promise<GlobusItem[]> {
    return Promise.all(
      items.map(async (t) => ({
        sourcePath: toCollectionPath(this.config.globus.localRoot, t.sourcePath!),
        destinationPath: toCollectionPath(destinationRoot, t.destPath!),
        recursive: (await fs.stat(t.sourcePath!)).isDirectory(),
      })),
    );
  }

  /** Records a finished data movement (bytes, duration, bandwidth). Idempotent per batch. */
  async recordTransfer(rec: TransferRecordInput): Promise<void> {
    const peer = await this.outgoing.destinationOf(rec.batchId);
    const seconds = Math.max((rec.end.getTime() - rec.start.getTime()) / 1000, 0.001);
    const data = {
      batchId: rec.batchId,
      destination: peer,
      transferMethod: rec.method,
      taskId: rec.taskId,
      sourceEndpointId: rec.sourceEndpointId,
      destinationEndpointId: rec.destinationEndpointId,
      startTime: rec.start,
      endTime: rec.end,
      durationSeconds: seconds,
      bytesTransferred: BigInt(rec.bytes),
      fileCount: rec.files,
      effectiveBandwidthBps: rec.bytes / seconds,
    };
    await this.db.transferRecord.upsert({ where: { batchId: rec.batchId }, create: data, update: data });
  }

  /** Asks the destination how the batch's items stand (for late callbacks), and records the answers. */
  async reconcile(batchId: string): Promise<{ pending: number[] }> {
    const peer = await this.outgoing.destinationOf(batchId);
    const withRemote = (await this.outgoing.unfinished(batchId)).filter((t) => t.remoteTransferId !== null);
    if (withRemote.length) {
      const client = await this.peers.client(peer);
      const r = await client.checkinStatus({ destination_transfer_ids: withRemote.map((t) => t.remoteTransferId!), source_transfer_ids: [] });
      const peerRow = await this.peers.row(peer);
      for (const t of withRemote) {
        const v = r.destination_transfer_status[String(t.remoteTransferId)];
        const name = v === null || v === undefined ? null : statusName(v);
        if (name === 'COMPLETED') {
          const storeId = r.destination_transfer_store_ids?.[String(t.remoteTransferId)];
          if (storeId !== null && storeId !== undefined) await this.outgoing.confirmed(t.id, peerRow.id, storeId, 'the destination reports it COMPLETED (callback missing)');
        } else if (name === 'FAILED' || name === 'CANCELLED' || name === null) {
          await this.outgoing.failed([t.id], endedAtPeer(peer, name, r.destination_transfer_reasons?.[String(t.remoteTransferId)]));
        }
      }
    }
    return { pending: await this.outgoing.pending(batchId) };
  }

  /**
   * Fails what is left of a batch (it will be offered again in a later one) and tells the
   * destination, once, so it can free its staging; its receive workflows also find out on their own.
   */
  async abandon(batchId: string, reason: string, alert = true): Promise<number> {
    const peer = await this.outgoing.destinationOf(batchId);
    const items = await this.outgoing.unfinished(batchId);
    await this.outgoing.failed(items.map((t) => t.id), reason);
    await this.tellDestinationFailed(batchId, items.map((t) => t.remoteTransferId));
    // An operator's cancellation is a decision, not news for the alert channel.
    if (!alert) {
      this.log.info({ batchId, peer, files: items.length, reason }, 'clone batch cancelled; its files will be offered again');
      return items.length;
    }
    await this.notifications.alert('error', `Clone batch ${batchId} to ${peer} gave up on ${items.length} files; they will be offered again. Reason: ${reason}`, { batchId, peer }, {
      category: 'transfer',
      caller: 'clone',
      // One message per peer and cause while it keeps failing (ids and counts vary between batches).
      key: `clone-gave-up:${peer}:${reason.replace(/\d+/g, '#').slice(0, 200)}`,
    });
    this.log.error({ batchId, peer, files: items.length, reason }, 'clone batch abandoned; its files will be offered again');
    return items.length;
  }

  /**
   * Tells the destination, once and on a best-effort basis, that these of its transfers will not
   * be sent, so it frees their staging at once; its receive workflows also find out on their own.
   */
  private async tellDestinationFailed(batchId: string, remoteIds: (number | null)[]): Promise<void> {
    const ids = remoteIds.filter((id): id is number => id !== null);
    if (ids.length === 0) return;
    const peer = await this.outgoing.destinationOf(batchId);
    try {
      const client = await this.peers.client(peer, 20_000);
      await client.checkinUpdate({ destination_transfer_ids: ids, source_transfer_ids: [], new_status: STATUS_VALUE.FAILED });
    } catch (e) {
      this.log.warn({ batchId, peer, err: (e as Error).message }, 'could not tell the destination that transfers will not be sent');
    }
  }

  /**
   * Checks our copies of the files the destination rejected (it found them damaged on arrival):
   * a source copy that is corrupt itself is recorded and taken out of use, so it is not offered
   * again until repaired. Returns how many were checked and found damaged.
   */
  async verifyRejected(batchId: string, opts: Pick<HashOptions, 'onProgress' | 'signal'> = {}): Promise<{ checked: number; damaged: number }> {
    const peer = await this.outgoing.destinationOf(batchId);
    const rejected = (await this.outgoing.batch(batchId)).filter((t) => t.status === 'FAILED' && t.instanceId !== null && t.failureReason?.startsWith(`${peer} reported FAILED`));
    let damaged = 0;
    for (const t of new Map(rejected.map((r) => [r.instanceId!, r])).values()) {
      const r = await this.integrity.check(t.instanceId!, { ...opts, force: true });
      if (r.state === 'lost' || r.state === 'corrupt') damaged++;
    }
    return { checked: rejected.length, damaged };
  }
}
