import type { Services } from '../services';
import { run, withHeartbeat } from './support';

export function createValidateActivities(services: Services) {
  return {
    listInstancesToValidate: (fileName: string) => run(() => services.validation.instancesOf(fileName)),
    validateInstance: (instanceId: number, force: boolean) => withHeartbeat((h) => services.validation.validateInstance(instanceId, { ...h, force })),
  };
}
