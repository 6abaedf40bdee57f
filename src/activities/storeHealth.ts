import type { Services } from '../services';

export function createStoreHealthActivities(services: Services) {
  return {
    async listStoreNames(): Promise<string[]> {
      return (await services.stores.rows()).map((r) => r.name);
    },
    async checkStoreHealth(storeName: string) {
      const health = await services.stores.health(storeName);
      if (health.problem) services.log.warn({ store: storeName, problem: health.problem }, 'store is unhealthy');
      return health;
    },
  };
}
