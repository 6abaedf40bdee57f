/**
 * Whether this process can do its work: the catalog and Temporal both answer. Ping shows it, and
 * the health endpoints for orchestrators are built on it.
 */
import type { Domain } from '../domain';
import { catalogProblem } from '../domain/catalog/health';
import type { TemporalAccess } from './temporal';

export interface Health {
  /** Null when it answers, else what is wrong. */
  catalog: string | null;
  temporal: string | null;
}

export class HealthFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  async check(): Promise<Health> {
    const [catalog, temporal] = await Promise.all([catalogProblem(this.domain.db, this.domain.config.database.provider), this.temporal.problem()]);
    return { catalog, temporal };
  }
}
