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
  /** Since when this process has found Temporal unreachable (null: it answered last time). */
  private temporalDownSince: number | null = null;
  private temporalDownAlerted = false;

  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  /** `observe` false: do not count this toward the Temporal-down alert (a worker's probes: the API alerts). */
  async check(observe = true): Promise<Health> {
    const [catalog, temporal] = await Promise.all([catalogProblem(this.domain.db, this.domain.config.database.provider), this.temporal.problem()]);
    if (observe) await this.observeTemporal(temporal);
    return { catalog, temporal };
  }

  /**
   * What this process saw of Temporal (a ping, a metrics scrape, a request). Unreachable for
   * longer than notifications.temporalDownAfter raises one alert; reachable again, one more.
   * Driven by traffic rather than a timer of its own: Prometheus scrapes keep it current.
   */
  async observeTemporal(problem: string | null): Promise<void> {
    const now = Date.now();
    if (problem === null) {
      if (this.temporalDownAlerted) {
        await this.domain.notifications.alert('info', `Temporal at ${this.domain.config.temporal.address} answers again; uploads, transfers and schedules resume.`, {}, { category: 'librarian_network_availability', caller: 'api' });
      }
      this.temporalDownSince = null;
      this.temporalDownAlerted = false;
      return;
    }
    this.temporalDownSince ??= now;
    const after = this.domain.config.notifications.temporalDownAfter;
    if (!this.temporalDownAlerted && now - this.temporalDownSince >= after) {
      this.temporalDownAlerted = true;
      await this.domain.notifications.alert(
        'error',
        `Temporal has been unreachable for ${Math.round((now - this.temporalDownSince) / 1000)} s: ${problem}. No upload, transfer, audit or schedule can run until it is back.`,
        { since: new Date(this.temporalDownSince).toISOString() },
        { category: 'librarian_network_availability', caller: 'api' },
      );
    }
  }

  /** Whether Temporal was last seen unreachable, and since when (for metrics). */
  get temporalDown(): Date | null {
    return this.temporalDownSince === null ? null : new Date(this.temporalDownSince);
  }
}
