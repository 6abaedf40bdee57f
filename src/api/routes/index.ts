import type { Endpoint } from '../endpoint';
import { adminStoreEndpoints } from './adminStores';
import { pingEndpoints } from './ping';
import { userEndpoints } from './users';

export function allEndpoints(): Endpoint[] {
  return [...pingEndpoints, ...userEndpoints, ...adminStoreEndpoints];
}
