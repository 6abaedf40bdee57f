/**
 * Validating a file: recompute (or take from the cache) the checksum of every local copy; a
 * damaged one is recorded and its repair starts. Across sites (`peers`), every peer that holds a
 * copy is asked too, in parallel; each asks its own peers in turn, down to `depth` hops, never
 * asking a Librarian already on the path (`visited`), so cycles end.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ValidationItem } from '../protocol/validation';
import { CATALOG_FOR_MINUTES, DISK_WORK } from './retries';
import { FILE_NAME, PHASE } from './searchAttributes';

export interface ValidateFileInput {
  fileName: string;
  /** Recompute even when a verified checksum is younger than the cache lifetime. */
  force: boolean;
  heartbeatTimeoutMs: number;
  /** Ask the peers too (when depth > 0; each is asked with depth - 1), except those on the path so far (visited, this one included). */
  peers?: { depth: number; visited: string[] };
}

export async function validateFile(input: ValidateFileInput) {
  const { listInstancesToValidate, startAwaitingRepairs, peersHoldingCopies } = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: CATALOG_FOR_MINUTES });
  const { validateInstance, validateAtPeer } = proxyActivities<Activities>({
    startToCloseTimeout: '12h',
    heartbeatTimeout: input.heartbeatTimeoutMs,
    retry: DISK_WORK,
  });
  upsertSearchAttributes([
    { key: FILE_NAME, value: input.fileName },
    { key: PHASE, value: 'validating' },
  ]);
  const ids = await listInstancesToValidate(input.fileName);
  const peers = input.peers && input.peers.depth > 0 ? await peersHoldingCopies(input.fileName, input.peers.visited) : [];
  const [local, remote] = await Promise.all([
    Promise.all(ids.map((id) => validateInstance(id, input.force))),
    Promise.all(
      peers.map((peer) =>
        // A peer that does not answer is one item saying so (validateAtPeer never fails for that).
        validateAtPeer(peer, input.fileName, { force: input.force, depth: input.peers!.depth - 1, visited: input.peers!.visited }),
      ),
    ),
  ]);
  if (local.some((r) => r.state === 'lost' || r.state === 'corrupt')) await startAwaitingRepairs();
  const all: ValidationItem[] = remote.flat();
  const valid = local.every((r) => r.computedSameChecksum) && all.every((r) => r.computed_same_checksum);
  upsertSearchAttributes([{ key: PHASE, value: valid ? 'valid' : 'invalid' }]);
  return { local, remote: all };
}
