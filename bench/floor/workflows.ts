/**
 * Workflows for bench/workflow-floor.ts: the Librarian's own upload workflow (its activities are
 * replaced by the benchmark's no-ops), the least an upload with its side effects in activities
 * can be (two updates, an activity in each), and the same without activities.
 */
import { allHandlersFinished, condition, defineUpdate, proxyActivities, setHandler } from '@temporalio/workflow';

export { upload } from '../../src/workflows/upload';

export const stage = defineUpdate<number, [number]>('stage');
export const commit = defineUpdate<number, [number]>('commit');

export async function twoUpdates(): Promise<number> {
  let staged: number | undefined;
  let committed: number | undefined;
  setHandler(stage, (n) => (staged = n));
  setHandler(commit, (n) => {
    committed = n;
    return n;
  });
  await condition(() => staged !== undefined && committed !== undefined);
  return committed!;
}

/** `twoUpdates` with an activity in each update, as the upload's stage and commit have. */
export async function twoUpdatesTwoActivities(): Promise<number> {
  const { stageUpload, verifyAndCommitUpload } = proxyActivities<{
    stageUpload(req: unknown): Promise<{ transferId: number }>;
    verifyAndCommitUpload(id: number): Promise<unknown>;
  }>({ startToCloseTimeout: '30s' });
  let staged: number | undefined;
  let committed: number | undefined;
  setHandler(stage, async (n) => {
    staged = (await stageUpload({ destination: `d${n}`, uploadName: `u${n}` })).transferId;
    return staged;
  });
  setHandler(commit, async (n) => {
    await verifyAndCommitUpload(n);
    committed = n;
    return n;
  });
  await condition(() => staged !== undefined && committed !== undefined);
  await condition(allHandlersFinished);
  return committed!;
}
