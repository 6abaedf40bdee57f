import type { Endpoint } from '../endpoint';
import { adminStoreEndpoints } from './adminStores';
import { auditEndpoints } from './audit';
import { cloneEndpoints } from './clone';
import { explainEndpoints } from './explain';
import { deletionEndpoints } from './deletion';
import { errorEndpoints } from './errors';
import { importEndpoints } from './imports';
import { peerEndpoints } from './peers';
import { pingEndpoints } from './ping';
import { repairEndpoints } from './repair';
import { searchEndpoints } from './search';
import { sneakernetEndpoints } from './sneakernet';
import { uploadEndpoints } from './upload';
import { userEndpoints } from './users';

export function allEndpoints(): Endpoint[] {
  return [...pingEndpoints, ...userEndpoints, ...adminStoreEndpoints, ...uploadEndpoints, ...searchEndpoints, ...peerEndpoints, ...cloneEndpoints, ...sneakernetEndpoints, ...auditEndpoints, ...repairEndpoints, ...deletionEndpoints, ...importEndpoints, ...errorEndpoints, ...explainEndpoints];
}
