import type { Domain } from '../domain';
import type { Flows } from '../flows';
import { beating, run, withHeartbeat } from './support';

export function repairActivities(domain: Domain, flows: Flows) {
  const { repairs } = domain;
  return {
    planRepair: (instanceId: number) => withHeartbeat((h) => repairs.plan(instanceId, h)),
    repairFromLocal: (instanceId: number, sourceId: number) => withHeartbeat((h) => repairs.fromLocal(instanceId, sourceId, h)),
    /** The peer may hash its copy before answering. */
    askPeerForCopy: (instanceId: number, peer: string) => beating(() => repairs.askPeer(instanceId, peer)),
    noteRepair: (instanceId: number, text: string, resolved: boolean) => run(() => repairs.note(instanceId, text, resolved)),
    repairUnrecoverable: (instanceId: number, reason: string) => run(() => repairs.unrecoverable(instanceId, reason)),
    repairGaveUp: (instanceId: number, reason: string) => run(() => repairs.gaveUp(instanceId, reason)),
    /** Starts a repair for every damaged instance whose repair was never tried (one per instance). */
    startAwaitingRepairs: () => run(() => flows.repair.startAwaiting()),
  };
}
