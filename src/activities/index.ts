import type { Services } from '../services';
import { createStoreHealthActivities } from './storeHealth';

/** All activities, bound to one set of services. Activities are thin: the work is in services. */
export function createActivities(services: Services) {
  return {
    ...createStoreHealthActivities(services),
  };
}

export type Activities = ReturnType<typeof createActivities>;
