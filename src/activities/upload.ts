import type { Services } from '../services';
import type { DeletionPolicyName, StageRequest } from '../services/uploads';
import { run, withHeartbeat } from './support';

export function createUploadActivities(services: Services) {
  return {
    stageUpload: (req: StageRequest) => run(() => services.uploads.stage(req)),
    verifyUpload: (transferId: number) => withHeartbeat((h) => services.uploads.verify(transferId, h)),
    commitUpload: (transferId: number, deletionPolicy: DeletionPolicyName) => withHeartbeat((h) => services.uploads.commit(transferId, deletionPolicy, h)),
    failUpload: (transferId: number, reason: string, status: number) => run(() => services.uploads.fail(transferId, reason, status)),
  };
}
