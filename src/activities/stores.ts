import type { Domain } from '../domain';
import { run, withHeartbeat } from './support';

export function storeActivities(domain: Domain) {
  return {
    listStoreNames: () => run(() => domain.stores.names()),
    checkStoreHealth: (storeName: string) => run(() => domain.stores.health(storeName)),
    listInstancesToValidate: (fileName: string) => run(() => domain.integrity.instancesOf(fileName)),
    validateInstance: (instanceId: number, force: boolean) => withHeartbeat((h) => domain.integrity.check(instanceId, { ...h, force })),
  };
}
