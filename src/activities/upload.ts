import type { Domain } from '../domain';
import type { DeletionPolicyName } from '../domain/ingest';
import type { StageRequest } from '../domain/uploads/uploads';
import { run, withHeartbeat } from './support';

export function uploadActivities(domain: Domain) {
  return {
    stageUpload: (req: StageRequest) => run(() => domain.uploads.stage(req)),
    verifyAndCommitUpload: (transferId: number, deletionPolicy: DeletionPolicyName) => withHeartbeat((h) => domain.uploads.verifyAndCommit(transferId, deletionPolicy, h)),
    // The two parts apart, for upload workflows started before verifyAndCommitUpload existed.
    verifyUpload: (transferId: number) => withHeartbeat((h) => domain.uploads.verify(transferId, h)),
    commitUpload: (transferId: number, deletionPolicy: DeletionPolicyName) => withHeartbeat((h) => domain.ingest.commit(transferId, deletionPolicy, h)),
    failUpload: (transferId: number, reason: string, status: number) => run(() => domain.transfers.incoming.failed(transferId, reason, status)),
    cancelUpload: (transferId: number, reason: string, status: number) => run(() => domain.transfers.incoming.failed(transferId, reason, status, 'CANCELLED')),
  };
}
