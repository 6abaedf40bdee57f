import type { Domain } from '../domain';
import type { DeletionPolicyName } from '../domain/ingest';
import { beating, run, withHeartbeat } from './support';

export function cloneReceiveActivities(domain: Domain) {
  const { cloneReceiver } = domain;
  return {
    markIncomingStaged: (transferId: number, method?: string) => run(() => cloneReceiver.markStaged(transferId, method)),
    incomingStatus: (transferId: number) => run(() => cloneReceiver.status(transferId)),
    verifyIncoming: (transferId: number) => withHeartbeat((h) => domain.ingest.verify(transferId, h)),
    commitIncoming: (transferId: number, deletionPolicy: DeletionPolicyName) => withHeartbeat((h) => cloneReceiver.commit(transferId, deletionPolicy, h)),
    failIncoming: (transferId: number, reason: string, status: number) => run(() => domain.transfers.incoming.failed(transferId, reason, status)),
    /** Retried until the source acknowledges, even through an outage of days. */
    notifySourceComplete: (transferId: number, storeId: number) => beating(() => cloneReceiver.tellSourceComplete(transferId, storeId)),
    notifySourceFailed: (transferId: number, reason: string) => beating(() => cloneReceiver.tellSourceFailed(transferId, reason)),
    askSourceStatus: (transferId: number) => beating(() => cloneReceiver.askSource(transferId)),
    learnCreateTime: (transferId: number) => beating(() => cloneReceiver.learnCreateTime(transferId)),
    confirmPresentToSource: (source: string, sourceTransferId: number, storeId: number) => beating(() => cloneReceiver.tellSourcePresent(source, sourceTransferId, storeId)),
  };
}
