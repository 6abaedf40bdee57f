import type { Domain } from '../domain';
import type { DeletionPolicyName } from '../domain/ingest';
import type { StageRequest } from '../domain/uploads/uploads';
import { run, withHeartbeat } from './support';

export function uploadActivities(domain: Domain) {
  return {
    stageUpload: (req: StageRequest) => run(() => domain.uploads.stage(req)),
    verifyUpload: (transferId: number) => withHeartbeat((h) => domain.uploads.verify(transferId, h)),
    commitUpload: (transferId: number, deletionPolicy: DeletionPolicyName) => withHeartbeat((h) => domain.ingest.commit(transferId, deletionPolicy, h)),
    failUpload: (transferId: number, reason: string, status: number) => run(() => domain.transfers.incoming.failed(transferId, reason, status)),
  };
}
