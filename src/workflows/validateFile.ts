import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { FILE_NAME, PHASE } from './searchAttributes';

export interface ValidateFileInput {
  fileName: string;
  /** Recompute even when a verified checksum is younger than the cache lifetime. */
  force: boolean;
  heartbeatTimeoutMs: number;
}

/** Recomputes (or takes from the cache) the checksum of every local instance; a damaged one's repair starts. */
export async function validateFile(input: ValidateFileInput) {
  const { listInstancesToValidate, startAwaitingRepairs } = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 5 } });
  const { validateInstance } = proxyActivities<Activities>({
    startToCloseTimeout: '12h',
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10 },
  });
  upsertSearchAttributes([
    { key: FILE_NAME, value: input.fileName },
    { key: PHASE, value: 'validating' },
  ]);
  const ids = await listInstancesToValidate(input.fileName);
  const results = await Promise.all(ids.map((id) => validateInstance(id, input.force)));
  if (results.some((r) => r.state === 'lost' || r.state === 'corrupt')) await startAwaitingRepairs();
  upsertSearchAttributes([{ key: PHASE, value: results.every((r) => r.computedSameChecksum) ? 'valid' : 'invalid' }]);
  return results;
}
