/**
 * The flows layer: the only code besides the worker that talks to Temporal. Each flow starts,
 * signals, updates and queries the workflows of one part of the protocol, calling the domain for
 * the rest; API routes, CLI commands and activities call one function of a flow or of the domain.
 */
import type { Domain } from '../domain';
import { AuditFlow } from './audit';
import { CloneFlow } from './clone';
import { DeletionFlow } from './deletion';
import { ExplainFlow } from './explain';
import { HealthFlow } from './health';
import { MetricsFlow } from './metrics';
import { PeerFlow } from './peers';
import { RepairFlow } from './repair';
import { RunNowFlow } from './runNow';
import { ScheduleFlow } from './schedules';
import { SneakernetFlow } from './sneakernet';
import { TemporalAccess } from './temporal';
import { UploadFlow } from './upload';

export interface Flows {
  temporal: TemporalAccess;
  upload: UploadFlow;
  clone: CloneFlow;
  peers: PeerFlow;
  sneakernet: SneakernetFlow;
  runNow: RunNowFlow;
  audit: AuditFlow;
  repair: RepairFlow;
  deletion: DeletionFlow;
  schedules: ScheduleFlow;
  health: HealthFlow;
  explain: ExplainFlow;
  metrics: MetricsFlow;
  close(): Promise<void>;
}

export function createFlows(domain: Domain): Flows {
  const temporal = new TemporalAccess(domain.config, domain.log);
  const schedules = new ScheduleFlow(domain, temporal);
  const clone = new CloneFlow(domain, temporal);
  const health = new HealthFlow(domain, temporal);
  return {
    temporal,
    upload: new UploadFlow(domain, temporal),
    clone,
    peers: new PeerFlow(domain, temporal, schedules, clone),
    sneakernet: new SneakernetFlow(domain, temporal),
    runNow: new RunNowFlow(domain, temporal),
    audit: new AuditFlow(domain, temporal),
    repair: new RepairFlow(domain, temporal),
    deletion: new DeletionFlow(domain, temporal),
    schedules,
    health,
    explain: new ExplainFlow(domain, temporal, clone),
    metrics: new MetricsFlow(domain, temporal, clone, health),
    close: () => temporal.close(),
  };
}
