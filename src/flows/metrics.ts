/**
 * What /metrics shows, gathered at most once per metrics.cacheFor: the catalog's figures, each
 * sending peer's files waiting, clone batches in flight by peer and phase (from Temporal), and
 * whether the catalog and Temporal answer.
 */
import type { Domain } from '../domain';
import type { CatalogStats } from '../domain/stats';
import { PEER, PHASE } from '../workflows/searchAttributes';
import type { CloneFlow } from './clone';
import type { HealthFlow } from './health';
import type { TemporalAccess } from './temporal';

export interface MetricsSnapshot {
  catalog: CatalogStats | null;
  waiting: { peer: string; files: number }[];
  batches: { peer: string; phase: string; count: number }[];
  catalogUp: boolean;
  temporalUp: boolean;
}

export class MetricsFlow {
  private cached: { at: number; snapshot: Promise<MetricsSnapshot> } | undefined;

  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
    private readonly clone: CloneFlow,
    private readonly health: HealthFlow,
  ) {}

  snapshot(): Promise<MetricsSnapshot> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at >= this.domain.config.metrics.cacheFor) {
      const snapshot = this.gather();
      // A failed gathering is not kept: the next scrape tries again.
      snapshot.catch(() => (this.cached = undefined));
      this.cached = { at: now, snapshot };
    }
    return this.cached.snapshot;
  }

  private async gather(): Promise<MetricsSnapshot> {
    const health = await this.health.check();
    const catalogUp = health.catalog === null;
    const temporalUp = health.temporal === null;
    const catalog = catalogUp ? await this.domain.stats.catalog() : null;
    const waiting: MetricsSnapshot['waiting'] = [];
    if (catalogUp) {
      for (const p of await this.domain.peers.list()) {
        if (p.sending) waiting.push({ peer: p.name, files: await this.domain.clonePlanner.countCandidates(p.name) });
      }
    }
    const batches = new Map<string, { peer: string; phase: string; count: number }>();
    if (temporalUp) {
      for (const w of await this.clone.runningBatches(await this.temporal.client())) {
        const peer = (w.typedSearchAttributes.get(PEER) as string | undefined) ?? '';
        const phase = (w.typedSearchAttributes.get(PHASE) as string | undefined) ?? '';
        const k = `${peer}\u0000${phase}`;
        const b = batches.get(k) ?? { peer, phase, count: 0 };
        b.count++;
        batches.set(k, b);
      }
    }
    return { catalog, waiting, batches: [...batches.values()], catalogUp, temporalUp };
  }
}
