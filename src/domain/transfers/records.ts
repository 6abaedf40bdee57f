/**
 * The record of data movements that finished: one row per clone batch or local copy (bytes, files,
 * duration, bandwidth), written by the sender when a batch's data has arrived.
 */
import type { Db } from '../catalog/db';

export interface TransferRecordRow {
  batchId: string;
  destination: string;
  method: string;
  taskId: string;
  sourceEndpointId: string | null;
  destinationEndpointId: string | null;
  start: Date;
  end: Date;
  seconds: number;
  bytes: number;
  files: number;
  bandwidthBps: number;
}

export interface TransferTotals {
  destination: string;
  method: string;
  batches: number;
  files: number;
  bytes: number;
  seconds: number;
}

export class TransferRecords {
  constructor(private readonly db: Db) {}

  /** The newest first; `peer` and `method` narrow it. */
  async list(opts: { peer?: string; method?: string; limit: number }): Promise<TransferRecordRow[]> {
    const rows = await this.db.transferRecord.findMany({
      where: { destination: opts.peer, transferMethod: opts.method },
      orderBy: [{ endTime: 'desc' }, { id: 'desc' }],
      take: opts.limit,
    });
    return rows.map((r) => ({
      batchId: r.batchId,
      destination: r.destination,
      method: r.transferMethod,
      taskId: r.taskId,
      sourceEndpointId: r.sourceEndpointId,
      destinationEndpointId: r.destinationEndpointId,
      start: r.startTime,
      end: r.endTime,
      seconds: r.durationSeconds,
      bytes: Number(r.bytesTransferred),
      files: r.fileCount,
      bandwidthBps: r.effectiveBandwidthBps,
    }));
  }

  /** All time, per destination and method, under the same filter. */
  async totals(opts: { peer?: string; method?: string }): Promise<TransferTotals[]> {
    const groups = await this.db.transferRecord.groupBy({
      by: ['destination', 'transferMethod'],
      where: { destination: opts.peer, transferMethod: opts.method },
      _count: { _all: true },
      _sum: { fileCount: true, bytesTransferred: true, durationSeconds: true },
      orderBy: [{ destination: 'asc' }, { transferMethod: 'asc' }],
    });
    return groups.map((g) => ({
      destination: g.destination,
      method: g.transferMethod,
      batches: g._count._all,
      files: g._sum.fileCount ?? 0,
      bytes: Number(g._sum.bytesTransferred ?? 0n),
      seconds: g._sum.durationSeconds ?? 0,
    }));
  }
}
