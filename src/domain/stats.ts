/**
 * Catalog-wide figures for monitoring (Prometheus /metrics): what each store holds and has room
 * for, transfers by status, open findings and alerts raised. Read-only; every query is one
 * aggregate, so a scrape costs a few queries whatever the catalog's size.
 */
import type { Db } from './catalog/db';
import type { StoreService } from './stores/stores';
import type { TransferRecords, TransferTotals } from './transfers/records';

export interface CatalogStats {
  stores: { name: string; enabled: boolean; healthy: boolean; files: number; bytes: number; freeBytes: number }[];
  incoming: { status: string; count: number }[];
  outgoing: { peer: string; status: string; count: number }[];
  findings: { kind: string; count: number }[];
  alerts: { severity: string; count: number }[];
  transferred: TransferTotals[];
  /** The last finished batch's bandwidth, per peer and method. */
  lastBandwidth: { peer: string; method: string; bytesPerSecond: number }[];
}

export class Stats {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
    private readonly records: TransferRecords,
  ) {}

  async catalog(): Promise<CatalogStats> {
    const rows = await this.stores.rows();
    const stores = await Promise.all(
      rows.map(async (r) => {
        const [contents, free] = await Promise.all([this.stores.contents(r.id), this.stores.free(r)]);
        return { name: r.name, enabled: r.enabled, healthy: r.healthProblem === null, files: contents.files, bytes: contents.bytes, freeBytes: free };
      }),
    );
    const [incoming, outgoing, findings, alerts, transferred, last] = await Promise.all([
      this.db.incomingTransfer.groupBy({ by: ['status'], _count: { _all: true } }),
      this.db.outgoingTransfer.groupBy({ by: ['destination', 'status'], _count: { _all: true } }),
      this.db.finding.groupBy({ by: ['kind'], where: { resolvedAt: null }, _count: { _all: true } }),
      this.db.errorRecord.groupBy({ by: ['severity'], _count: { _all: true } }),
      this.records.totals({}),
      this.records.list({ limit: 1000 }),
    ]);
    const lastBandwidth = new Map<string, { peer: string; method: string; bytesPerSecond: number }>();
    // Newest first: the first seen per peer and method is the last batch.
    for (const r of last) {
      const k = `${r.destination}\u0000${r.method}`;
      if (!lastBandwidth.has(k)) lastBandwidth.set(k, { peer: r.destination, method: r.method, bytesPerSecond: r.bandwidthBps });
    }
    return {
      stores,
      incoming: incoming.map((g) => ({ status: g.status, count: g._count._all })),
      outgoing: outgoing.map((g) => ({ peer: g.destination, status: g.status, count: g._count._all })),
      findings: findings.map((g) => ({ kind: g.kind, count: g._count._all })),
      alerts: alerts.map((g) => ({ severity: g.severity, count: g._count._all })),
      transferred,
      lastBandwidth: [...lastBandwidth.values()],
    };
  }
}
