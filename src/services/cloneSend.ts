/**
 * The sending side of remote clones: choosing files for a destination, recording them in
 * batches, talking to the destination about each batch, moving the bytes by local copy, and
 * turning confirmed copies into RemoteInstances. Every step is idempotent: the cloneBatch
 * workflow retries it through outages.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ApiError, ConnectionError, type LibrarianClient } from '../client/librarianClient';
import { cloneSettingsFor, type Config } from '../config';
import { LibrarianError, notFound } from '../errors';
import type { Logger } from '../logger';
import { Prisma } from '../generated/postgres/client';
import type { Db } from './db';
import { toCollectionPath, type GlobusItem } from './globus';
import type { NotificationService } from './notifications';
import type { PeerService } from './peers';
import type { StoreService } from './stores';
import { ACTIVE_STATUSES, canMove, STATUS_VALUE, statusName, type TransferStatus } from './transferStatus';
import type { Principal } from './users';

/** Files chosen per query while planning. */
const PLAN_CHUNK = 5000;
/** Key of PostgreSQL's advisory lock around clone planning (any constant unique in this catalog). */
const PLANNING_LOCK = 7_254_001;

type Query = Db | Prisma.TransactionClient;

export interface PlannedBatch {
  batchId: string;
  transferIds: number[];
  files: number;
  bytes: number;
}

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
  peerEnabled: boolean;
}

interface BatchStageResponse {
  store_name: string | null;
  uploads: { source_transfer_id: number; destination_transfer_id: number; staging_location: string }[];
  already_present: { source_transfer_id: number; store_id: number }[];
  refused: { source_transfer_id: number; status: number; reason: string }[];
  async_transfer_providers: { local?: { hostnames: string[] }; globus?: { endpoint_id: string; root: string } };
}

/**
 * Calls to a peer: connection problems, server errors and refused logins are worth retrying
 * (the peer may be down or being fixed); a 400 means we sent something wrong.
 */
export async function callPeer<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ConnectionError) throw new Error(`${what}: ${e.message}`);
    if (e instanceof ApiError) {
      if (e.status === 400 || e.status === 404 || e.status === 422) {
        throw new LibrarianError(e.status, `${what} was refused: ${e.reason}`, e.suggestedRemedy || 'See the peer\'s logs.');
      }
      throw new Error(`${what}: HTTP ${e.status} ${e.reason}`);
    }
    throw e;
  }
}

export class CloneSendService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly peers: PeerService,
    private readonly notifications: NotificationService,
    private readonly log: Logger,
  ) {}

  /** Batches of this Librarian to `peer` (or to all) that still have work in flight. */
  async inFlightBatches(peer?: string, q: Query = this.db): Promise<string[]> {
    const rows = await q.outgoingTransfer.findMany({
      where: { status: { in: ACTIVE_STATUSES }, batchId: { not: null }, ...(peer ? { destination: peer } : {}) },
      distinct: ['batchId'],
      select: { batchId: true },
    });
    return rows.map((r) => r.batchId!);
  }

  /**
   * Files with an available instance that the peer lacks and that are not on their way to it.
   * Raw SQL: the query Prisma builds for this uses NOT IN over all outgoing transfers, which
   * PostgreSQL runs in quadratic time once that list outgrows work_mem (220 s for 100,000 files).
   */
  private candidateFilter(peerId: number, peer: string, maxAgeDays: number | undefined): Prisma.Sql {
    const since = maxAgeDays ? new Date(Date.now() - maxAgeDays * 86_400_000) : undefined;
    return Prisma.sql`EXISTS (SELECT 1 FROM "instances" i WHERE i."file_name" = f."name" AND i."available" = true)
        AND NOT EXISTS (SELECT 1 FROM "remote_instances" r WHERE r."file_name" = f."name" AND r."librarian_id" = ${peerId})
        AND NOT EXISTS (SELECT 1 FROM "outgoing_transfers" o WHERE o."file_name" = f."name" AND o."destination" = ${peer}
          AND o."status" IN ('INITIATED', 'ONGOING', 'STAGED'))
        ${since ? Prisma.sql`AND f."create_time" >= ${since}` : Prisma.empty}`;
  }

  /** Oldest first, each candidate with the instance to send (the preferred store's when it has one). */
  private async candidates(q: Query, peerId: number, peer: string, maxAgeDays: number | undefined, preferredStore: number | undefined, limit: number) {
    return q.$queryRaw<{ name: string; size: bigint | number; checksum: string; instance_id: number | bigint }[]>`
      SELECT f."name", f."size", f."checksum",
        (SELECT i."id" FROM "instances" i WHERE i."file_name" = f."name" AND i."available" = true
          ORDER BY CASE WHEN i."store_id" = ${preferredStore ?? -1} THEN 0 ELSE 1 END, i."id" LIMIT 1) AS "instance_id"
      FROM "files" f
      WHERE ${this.candidateFilter(peerId, peer, maxAgeDays)}
      ORDER BY f."create_time", f."name"
      LIMIT ${limit}`;
  }

  /** Files that would be sent to `peer` now. */
  async countCandidates(peer: string): Promise<number> {
    const p = await this.peers.row(peer);
    const [row] = await this.db.$queryRaw<{ n: bigint | number }[]>`
      SELECT COUNT(*) AS "n" FROM "files" f WHERE ${this.candidateFilter(p.id, peer, cloneSettingsFor(this.config, peer).maxAgeDays)}`;
    return Number(row?.n ?? 0);
  }

  /**
   * The in-flight caps per destination and in all (Globus allows 100 pending and 3 active tasks
   * per account): batches in flight, room left, and why nothing more may be sent now (or null).
   */
  async capacity(peer: string, q: Query = this.db) {
    const perPeer = cloneSettingsFor(this.config, peer).maxBatchesPerPeer;
    const total = this.config.clone.maxBatchesTotal;
    const inPeer = (await this.inFlightBatches(peer, q)).length;
    const inTotal = (await this.inFlightBatches(undefined, q)).length;
    const free = Math.min(perPeer - inPeer, total - inTotal);
    return { inPeer, perPeer, free, reason: free > 0 ? null : `in-flight cap (${inPeer}/${perPeer} to ${peer}, ${inTotal}/${total} in all)` };
  }

  /**
   * Chooses batches of files the peer lacks, as many as the in-flight caps leave room for, and
   * records their OutgoingTransfers (INITIATED), so the next selection skips them. Planning runs
   * under one lock per catalog: sending steps of several peers that run at once would otherwise
   * each see the same free room and together exceed the overall cap. Repeating a call with the
   * same runKey returns the batches it recorded.
   */
  async planBatches(peer: string, runKey: string): Promise<{ batches: PlannedBatch[]; waiting: string | null }> {
    const prefix = `clone/${this.config.name}/${peer}/${runKey}-`;
    const recorded = (q: Query) => q.outgoingTransfer.findMany({ where: { batchId: { startsWith: prefix } }, orderBy: { id: 'asc' } });
    const p = await this.peers.row(peer);
    const s = cloneSettingsFor(this.config, peer);
    const preferred = s.preferredStore ? (await this.db.store.findUnique({ where: { name: s.preferredStore } }))?.id : undefined;
    const planned = await this.db.$transaction(
      async (tx: Prisma.TransactionClient) => {
        await this.lockPlanning(tx);
        const existing = await recorded(tx);
        if (existing.length) return { rows: existing, waiting: null };
        const cap = await this.capacity(peer, tx);
        if (cap.reason) return { rows: [], waiting: cap.reason };
        const want = cap.free * s.batchSize;
        // In chunks (SQLite allows ~32k bound variables per statement). Each chunk's rows are
        // recorded before the next query, which therefore no longer sees them as candidates.
        for (let n = 0; n < want; ) {
          const take = Math.min(PLAN_CHUNK, want - n);
          const files = await this.candidates(tx, p.id, peer, s.maxAgeDays, preferred, take);
          if (files.length === 0) break;
          await tx.outgoingTransfer.createMany({
            data: files.map((f, i) => ({
              destination: peer,
              status: 'INITIATED' as const,
              transferSize: BigInt(f.size),
              transferChecksum: f.checksum,
              fileName: f.name,
              instanceId: Number(f.instance_id),
              batchId: `${prefix}${Math.floor((n + i) / s.batchSize)}`,
            })),
          });
          n += files.length;
          // Thousands of new rows make PostgreSQL's statistics stale, and with them it probes the
          // candidates with nested sequential scans (quadratic: 22 s per chunk by the tenth).
          if (this.config.database.provider === 'postgresql') await tx.$executeRawUnsafe('ANALYZE "outgoing_transfers"');
          // A short chunk was the last: asking again would only scan every file to find nothing.
          if (files.length < take) break;
        }
        return { rows: await recorded(tx), waiting: null };
      },
      // Planning 100,000 files takes about 15 s (docs/benchmarks.md); a scheduled run plans far fewer.
      { maxWait: 60_000, timeout: 10 * 60_000 },
    );
    if (planned.rows.length) this.log.info({ peer, files: planned.rows.length, batches: new Set(planned.rows.map((t) => t.batchId)).size }, 'clone batches planned');
    return { batches: group(planned.rows), waiting: planned.waiting };
  }

  /**
   * Serialises planning within this catalog until the transaction ends: an advisory lock on
   * PostgreSQL (several workers may plan), on SQLite the write lock, taken by a write that
   * changes nothing before anything is read.
   */
  private async lockPlanning(tx: Prisma.TransactionClient): Promise<void> {
    if (this.config.database.provider === 'postgresql') await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${PLANNING_LOCK})`);
    else await tx.$executeRawUnsafe('DELETE FROM "outgoing_transfers" WHERE 0');
  }

  private async batch(batchId: string) {
    return this.db.outgoingTransfer.findMany({ where: { batchId }, orderBy: { id: 'asc' }, include: { file: true, instance: { include: { store: true } } } });
  }

  private async peerOfBatch(batchId: string): Promise<string> {
    const one = await this.db.outgoingTransfer.findFirst({ where: { batchId } });
    if (!one) throw notFound(`No batch ${batchId}.`, 'The batch has no transfers.');
    return one.destination;
  }

  async peerEnabled(peer: string): Promise<boolean> {
    return (await this.peers.row(peer)).transfersEnabled;
  }

  /** clone/batch_stage on the destination for the batch's items that are not resolved yet. */
  async stageBatch(batchId: string): Promise<BatchStaged> {
    const peer = await this.peerOfBatch(batchId);
    const transfers = (await this.batch(batchId)).filter((t) => t.status === 'INITIATED' || t.status === 'ONGOING');
    const enabled = await this.peerEnabled(peer);
    if (transfers.length === 0) return { staged: [], resolved: 0, methods: {}, localUsable: false, peerEnabled: enabled };
    const client = await this.peers.client(peer);
    const r = await callPeer(`clone/batch_stage on ${peer}`, () =>
      client.post<BatchStageResponse>(
        'clone/batch_stage',
        {
          source: this.config.name,
          total_size: transfers.reduce((s, t) => s + Number(t.transferSize), 0),
          uploads: transfers.map((t) => ({
            upload_size: Number(t.transferSize),
            upload_checksum: t.transferChecksum,
            upload_name: t.fileName,
            destination_location: t.fileName,
            uploader: t.file.uploader,
            source_transfer_id: t.id,
            create_time: t.file.createTime.toISOString(),
          })),
        },
        100_000,
      ),
    );
    const now = new Date();
    const byId = new Map(transfers.map((t) => [t.id, t]));
    let resolved = 0;
    for (const p of r.already_present) {
      const t = byId.get(p.source_transfer_id);
      if (!t) continue;
      await this.confirm(t.id, p.store_id, 'already present at the destination');
      resolved++;
    }
    for (const x of r.refused) {
      if (!byId.has(x.source_transfer_id)) continue;
      await this.db.outgoingTransfer.updateMany({
        where: { id: x.source_transfer_id, status: { in: ACTIVE_STATUSES } },
        data: { status: x.status === 425 ? 'CANCELLED' : 'FAILED', endTime: now, failureReason: `${peer} refused it (${x.status}): ${x.reason}` },
      });
      resolved++;
    }
    const staged: BatchStaged['staged'] = [];
    for (const u of r.uploads) {
      const t = byId.get(u.source_transfer_id);
      if (!t || !t.instance) continue;
      const sourcePath = this.stores.local(t.instance.store).storePathFor(t.instance.path);
      await this.db.outgoingTransfer.update({ where: { id: t.id }, data: { remoteTransferId: u.destination_transfer_id, sourcePath, destPath: u.staging_location } });
      staged.push({ id: t.id, remoteId: u.destination_transfer_id, sourcePath, destPath: u.staging_location, size: Number(t.transferSize) });
    }
    const offer = r.async_transfer_providers ?? {};
    const methods: PeerOffer = {
      ...(offer.local ? { local: offer.local } : {}),
      ...(offer.globus ? { globus: { endpointId: offer.globus.endpoint_id, root: offer.globus.root } } : {}),
    };
    let localUsable = false;
    if (methods.local && staged[0]) {
      const hostOk = methods.local.hostnames.length === 0 || methods.local.hostnames.includes(os.hostname());
      localUsable = hostOk && (await fs.access(path.dirname(staged[0].destPath), fs.constants.W_OK).then(() => true, () => false));
    }
    return { staged, resolved, methods, localUsable, peerEnabled: enabled };
  }

  /**
   * checkin/update on the destination for the batch's items; items the destination has
   * already moved past `to` count as done. Returns items the destination says are gone.
   */
  async setPeerStatus(batchId: string, to: 'ONGOING' | 'STAGED', method?: string): Promise<{ failed: number[] }> {
    const peer = await this.peerOfBatch(batchId);
    const items = (await this.batch(batchId)).filter((t) => ACTIVE_STATUSES.includes(t.status) && t.remoteTransferId !== null);
    if (items.length === 0) return { failed: [] };
    const client = await this.peers.client(peer);
    const r = await callPeer(`checkin/update ${to} on ${peer}`, () =>
      client.post<{ destination_transfer_status?: Record<string, number | null> }>('checkin/update', {
        destination_transfer_ids: items.map((t) => t.remoteTransferId),
        source_transfer_ids: [],
        new_status: STATUS_VALUE[to],
      }),
    );
    const failed: number[] = [];
    for (const t of items) {
      const remote = r.destination_transfer_status?.[String(t.remoteTransferId)];
      const name = remote === null || remote === undefined ? null : statusName(remote);
      if (name === 'FAILED' || name === 'CANCELLED' || name === null) {
        await this.failLocal([t.id], `${peer} reports the transfer ${name ?? 'unknown'}`);
        failed.push(t.id);
      } else if (name !== 'COMPLETED') {
        await this.db.outgoingTransfer.updateMany({ where: { id: t.id, status: { in: ACTIVE_STATUSES } }, data: { status: to, ...(method ? { transferMethod: method } : {}) } });
      }
    }
    return { failed };
  }

  /** Copies each staged item from our store into the destination's staging area. */
  async copyLocally(batchId: string, opts: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<{ bytes: number; seconds: number }> {
    const items = (await this.batch(batchId)).filter((t) => ACTIVE_STATUSES.includes(t.status) && t.destPath && t.sourcePath);
    const total = items.reduce((s, t) => s + Number(t.transferSize), 0);
    const started = Date.now();
    let done = 0;
    for (const t of items) {
      if (opts.signal?.aborted) throw new Error('cancelled');
      await fs.rm(t.destPath!, { recursive: true, force: true });
      await fs.cp(t.sourcePath!, t.destPath!, { recursive: true, force: true, preserveTimestamps: true });
      done += Number(t.transferSize);
      opts.onProgress?.(done, total);
    }
    return { bytes: total, seconds: (Date.now() - started) / 1000 };
  }

  /** The batch's items as Globus paths: ours under globus.localRoot, theirs under the root they offered. */
  async globusItems(batchId: string, destinationRoot: string, localPath: (p: string) => string): Promise<GlobusItem[]> {
    const items = (await this.batch(batchId)).filter((t) => ACTIVE_STATUSES.includes(t.status) && t.destPath && t.sourcePath);
    return Promise.all(
      items.map(async (t) => ({
        sourcePath: localPath(t.sourcePath!),
        destinationPath: toCollectionPath(destinationRoot, t.destPath!),
        recursive: (await fs.stat(t.sourcePath!)).isDirectory(),
      })),
    );
  }

  /** Records a finished data movement (bytes, duration, bandwidth). Idempotent per batch. */
  async recordTransfer(rec: { batchId: string; method: string; taskId: string; sourceEndpointId?: string; destinationEndpointId?: string; start: Date; end: Date; bytes: number; files: number }): Promise<void> {
    const peer = await this.peerOfBatch(rec.batchId);
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

  /** Marks a confirmed copy: OutgoingTransfer COMPLETED and a RemoteInstance (one per file, peer, store). */
  async confirm(transferId: number, remoteStoreId: number, why = 'confirmed by the destination'): Promise<void> {
    const t = await this.db.outgoingTransfer.findUnique({ where: { id: transferId } });
    if (!t) throw notFound(`No outgoing transfer with id ${transferId}.`, 'Use the source_transfer_id of the clone.');
    const peer = await this.peers.row(t.destination);
    await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
      await tx.outgoingTransfer.update({ where: { id: t.id }, data: { status: 'COMPLETED', endTime: t.endTime ?? new Date(), failureReason: null } });
      await tx.remoteInstance.upsert({
        where: { fileName_librarianId_storeId: { fileName: t.fileName, librarianId: peer.id, storeId: remoteStoreId } },
        create: { fileName: t.fileName, librarianId: peer.id, storeId: remoteStoreId, sender: this.config.name },
        update: {},
      });
    });
    this.log.info({ transfer: t.id, file: t.fileName, peer: t.destination, why }, 'copy confirmed');
  }

  /** An outgoing transfer as its destination's account (or an admin) may see it; others get null. */
  private async outgoingTo(principal: Principal, id: number) {
    const t = await this.db.outgoingTransfer.findUnique({ where: { id } });
    return t && (principal.level === 'ADMIN' || t.destination === principal.username) ? t : null;
  }

  /** clone/complete from the destination. Only the destination's own account (or an admin) may call it. */
  async complete(principal: Principal, transferId: number, remoteStoreId: number): Promise<{ batchId: string | null; fileName: string }> {
    const t = await this.outgoingTo(principal, transferId);
    if (!t) {
      throw notFound(`No outgoing transfer ${transferId} to "${principal.username}".`, 'Send the source_transfer_id this Librarian gave you.');
    }
    await this.confirm(t.id, remoteStoreId);
    await this.peers.heard(t.destination);
    return { batchId: t.batchId, fileName: t.fileName };
  }

  /** Items of a batch not resolved yet. */
  async pending(batchId: string): Promise<number[]> {
    return (await this.db.outgoingTransfer.findMany({ where: { batchId, status: { in: ACTIVE_STATUSES } }, select: { id: true } })).map((t) => t.id);
  }

  /** Asks the destination how the batch's items stand (for late callbacks), and records the answers. */
  async reconcile(batchId: string): Promise<{ pending: number[] }> {
    const peer = await this.peerOfBatch(batchId);
    const items = (await this.batch(batchId)).filter((t) => ACTIVE_STATUSES.includes(t.status));
    const withRemote = items.filter((t) => t.remoteTransferId !== null);
    if (withRemote.length) {
      const client = await this.peers.client(peer);
      const r = await callPeer(`checkin/status on ${peer}`, () =>
        client.post<{ destination_transfer_status: Record<string, number | null>; destination_transfer_store_ids?: Record<string, number | null> }>('checkin/status', {
          destination_transfer_ids: withRemote.map((t) => t.remoteTransferId),
          source_transfer_ids: [],
        }),
      );
      for (const t of withRemote) {
        const v = r.destination_transfer_status[String(t.remoteTransferId)];
        const name: TransferStatus | null | undefined = v === null || v === undefined ? null : statusName(v);
        if (name === 'COMPLETED') {
          const storeId = r.destination_transfer_store_ids?.[String(t.remoteTransferId)];
          if (storeId !== null && storeId !== undefined) await this.confirm(t.id, storeId, 'the destination reports it COMPLETED (callback missing)');
        } else if (name === 'FAILED' || name === 'CANCELLED' || name === null) {
          await this.failLocal([t.id], `${peer} reports the transfer ${name ?? 'unknown'}`);
        }
      }
    }
    return { pending: await this.pending(batchId) };
  }

  async failLocal(ids: number[], reason: string): Promise<void> {
    if (ids.length === 0) return;
    await this.db.outgoingTransfer.updateMany({ where: { id: { in: ids }, status: { in: ACTIVE_STATUSES } }, data: { status: 'FAILED', endTime: new Date(), failureReason: reason } });
  }

  /**
   * Fails what is left of a batch (it will be offered again in a later one) and tells the
   * destination, once, so it can free its staging; its receive workflows also find out on their own.
   */
  async abandon(batchId: string, reason: string): Promise<number> {
    const peer = await this.peerOfBatch(batchId);
    const items = (await this.batch(batchId)).filter((t) => ACTIVE_STATUSES.includes(t.status));
    await this.failLocal(items.map((t) => t.id), reason);
    const remote = items.filter((t) => t.remoteTransferId !== null);
    if (remote.length) {
      try {
        const client: LibrarianClient = await this.peers.client(peer, 20_000);
        await client.post('checkin/update', { destination_transfer_ids: remote.map((t) => t.remoteTransferId), source_transfer_ids: [], new_status: STATUS_VALUE.FAILED });
      } catch (e) {
        this.log.warn({ batchId, peer, err: (e as Error).message }, 'could not tell the destination that the batch was abandoned');
      }
    }
    await this.notifications.alert('error', `Clone batch ${batchId} to ${peer} gave up on ${items.length} files; they will be offered again. Reason: ${reason}`, { batchId, peer });
    this.log.error({ batchId, peer, files: items.length, reason }, 'clone batch abandoned; its files will be offered again');
    return items.length;
  }

  /** checkin/update for outgoing transfers (the destination reports on ours). */
  async updateOutgoing(principal: Principal, ids: number[], to: TransferStatus, reason?: string) {
    const modified: number[] = [];
    const unmodified: number[] = [];
    const reasons: string[] = [];
    const batches = new Set<string>();
    for (const id of ids) {
      const t = await this.outgoingTo(principal, id);
      if (!t) {
        unmodified.push(id);
        reasons.push(`Outgoing transfer ${id}: not found.`);
        continue;
      }
      if (t.status === to) {
        modified.push(id);
        continue;
      }
      if (!canMove(t.status, to)) {
        unmodified.push(id);
        reasons.push(`Outgoing transfer ${id}: cannot go from ${t.status} to ${to}.`);
        continue;
      }
      await this.db.outgoingTransfer.update({
        where: { id },
        data: { status: to, ...(to === 'FAILED' || to === 'CANCELLED' ? { endTime: new Date(), failureReason: `${t.destination} reported ${to}${reason ? `: ${reason}` : ''}` } : {}) },
      });
      modified.push(id);
      if (t.batchId) batches.add(t.batchId);
    }
    return { modified, unmodified, reasons, batches: [...batches] };
  }

  async statusOfOutgoing(principal: Principal, ids: number[]) {
    const out: Record<number, TransferStatus | null> = {};
    for (const id of ids) {
      out[id] = (await this.outgoingTo(principal, id))?.status ?? null;
    }
    return out;
  }
}

function group(rows: { id: number; batchId: string | null; transferSize: bigint }[]): PlannedBatch[] {
  const map = new Map<string, PlannedBatch>();
  for (const r of rows) {
    const b = map.get(r.batchId!) ?? { batchId: r.batchId!, transferIds: [], files: 0, bytes: 0 };
    b.transferIds.push(r.id);
    b.files++;
    b.bytes += Number(r.transferSize);
    map.set(r.batchId!, b);
  }
  return [...map.values()];
}
