import type { Domain } from '../domain';
import { beating, run, withHeartbeat } from './support';

export function storeActivities(domain: Domain) {
  return {
    listStoreNames: () => run(() => domain.stores.names()),
    checkStoreHealth: (storeName: string) => run(() => domain.stores.health(storeName)),
    recordStoreHealth: (storeName: string, problem: string | null) => run(() => domain.stores.recordHealth(storeName, problem)),
    listInstancesToValidate: (fileName: string) => run(() => domain.integrity.instancesOf(fileName)),
    validateInstance: (instanceId: number, force: boolean) => withHeartbeat((h) => domain.integrity.check(instanceId, { ...h, force })),
    peersHoldingCopies: (fileName: string, exclude: string[]) => run(() => domain.remoteCopies.holders(fileName, exclude)),
    /** Never fails for a peer that does not answer: that is an item of the answer. */
    validateAtPeer: (peer: string, fileName: string, opts: { force: boolean; depth: number; visited: string[] }) =>
      beating(() => domain.remoteCopies.ask(peer, fileName, { ...opts, peers: true })),
  };
}
