import type { Services } from '../services';
import { createCloneActivities } from './clone';
import { createSneakernetActivities } from './sneakernet';
import { createStoreHealthActivities } from './storeHealth';
import { createUploadActivities } from './upload';
import { createValidateActivities } from './validate';

/** All activities, bound to one set of services. Activities are thin: the work is in services. */
export function createActivities(services: Services) {
  return {
    ...createStoreHealthActivities(services),
    ...createCloneActivities(services),
    ...createSneakernetActivities(services),
    ...createUploadActivities(services),
    ...createValidateActivities(services),
  };
}

export type Activities = ReturnType<typeof createActivities>;
