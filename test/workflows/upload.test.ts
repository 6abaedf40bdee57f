/**
 * The upload workflow (src/workflows/upload.ts) at its real staging timeout (uploads.stagingTimeout,
 * 1 day by default) on the time-skipping test server: an upload never committed is failed and its
 * staging removed one day after its last activity; data arriving keeps it alive. A commit that fails
 * for good fails the upload at once; one that keeps failing is retried for about two minutes. An
 * operator's cancel before the commit cancels the transfer; a commit under way finishes. A stage
 * that arrives while the upload ends (timeout, cancel) is refused and stages nothing.
 */
import { WorkflowFailedError, WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { run } from '../../src/activities/support';
import type { StageResult } from '../../src/domain/uploads/uploads';
import { failureDetails } from '../../src/workflows/failures';
import { commitUpdate, stageUpdate, touchSignal, type upload } from '../../src/workflows/upload';
import { waitFor } from '../support/ports';
import { DAY, HOUR, productionConfig, withWorker, workflowEnv, type FakeActivities } from '../support/workflows';

jest.setTimeout(5 * 60_000);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await workflowEnv();
});
afterAll(() => env?.teardown());

const config = productionConfig();
const input = (destination: string) => ({ destination, stagingTimeoutMs: config.uploads.stagingTimeout, heartbeatTimeoutMs: config.workflows.heartbeatTimeout });
const stageInput = { uploadSize: 10, uploadChecksum: `md5:::${'0'.repeat(32)}`, uploadName: 'f.dat', uploader: 'pipeline', createdBy: 'alice' };

function fakes() {
  const failed: { transferId: number; reason: string; status: number; at: number }[] = [];
  const cancelled: [number, string, number][] = [];
  let stagedAt = 0;
  const activities: FakeActivities = {
    async stageUpload(req): Promise<StageResult> {
      stagedAt = await env.currentTimeMs();
      return {
        transferId: 7,
        storeId: 1,
        storeName: 'main',
        stagingName: req.attemptId,
        stagingDir: `/staging/${req.attemptId}`,
        stagingLocation: `/staging/${req.attemptId}/f.dat`,
        uploadName: 'f.dat',
        destination: req.destination,
        availableBytes: 1e12,
        transferMethods: {},
        supersededTransferIds: [],
      };
    },
    async failUpload(transferId: number, reason: string, status: number) {
      failed.push({ transferId, reason, status, at: await env.currentTimeMs() });
    },
    async cancelUpload(transferId: number, reason: string, status: number) {
      cancelled.push([transferId, reason, status]);
    },
  };
  return { activities, failed, cancelled, stagedAt: () => stagedAt };
}

test('staged and never committed: failed (408) and cleaned up a day later; a late commit gets that verdict', async () => {
  const f = fakes();
  await withWorker(env, f.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/abandoned.dat', args: [input('obs/abandoned.dat')] });
    expect(await handle.executeUpdate(stageUpdate, { args: [stageInput] })).toMatchObject({ transferId: 7, destination: 'obs/abandoned.dat' });
    // It ends as a failed workflow (so the Web UI shows it), the verdict as its failure.
    expect(failureDetails(await handle.result().catch((e: Error) => e))).toEqual({
      transfer_id: 7,
      status: 408,
      reason: 'Not committed within 86400 s of the last activity; staging removed.',
      suggested_remedy: 'Stage the upload again and commit it.',
    });
    expect((await handle.describe()).status.name).toBe('FAILED');
  });
  expect(f.failed).toEqual([{ transferId: 7, reason: 'Not committed within 86400 s of the last activity; staging removed.', status: 408, at: expect.any(Number) }]);
  expect(f.failed[0]!.at - f.stagedAt()).toBeGreaterThanOrEqual(DAY);
  expect(f.failed[0]!.at - f.stagedAt()).toBeLessThan(DAY + 5_000);
});

test('data arriving after 20 hours restarts the day: the upload is failed 44 hours after it was staged', async () => {
  const f = fakes();
  await withWorker(env, f.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/slow.dat', args: [input('obs/slow.dat')] });
    await handle.executeUpdate(stageUpdate, { args: [stageInput] });
    await env.sleep(20 * HOUR);
    expect(f.failed).toEqual([]);
    await handle.signal(touchSignal);
    expect(failureDetails(await handle.result().catch((e: Error) => e))).toMatchObject({ status: 408 });
  });
  expect(f.failed[0]!.at - f.stagedAt()).toBeGreaterThanOrEqual(44 * HOUR);
  expect(f.failed[0]!.at - f.stagedAt()).toBeLessThan(44 * HOUR + 60_000);
});

test('a commit a day later still verifies and catalogues: the timeout counts from the last activity', async () => {
  const f = fakes();
  const activities: FakeActivities = {
    ...f.activities,
    async verifyAndCommitUpload(transferId: number) {
      return { ok: true, result: { fileName: 'obs/late.dat', instanceId: transferId, storeId: 1, storeName: 'main', path: '/store/obs/late.dat' } };
    },
  };
  await withWorker(env, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/late.dat', args: [input('obs/late.dat')] });
    await handle.executeUpdate(stageUpdate, { args: [stageInput] });
    await env.sleep(23 * HOUR);
    expect(await handle.executeUpdate(commitUpdate, { args: [{ transferId: 7, deletionPolicy: 'DISALLOWED' }] })).toEqual({ fileName: 'obs/late.dat', instanceId: 7, storeId: 1, storeName: 'main', path: '/store/obs/late.dat' });
    expect(await handle.result()).toMatchObject({ ok: true, transferId: 7 });
  });
  expect(f.failed).toEqual([]);
});

/** An error as the filesystem raises it. */
function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code, errno: -1, syscall: message.split(' ').at(-2) });
}

/** Stages, then commits, and returns the commit's error (its status and reason) and the workflow's verdict. */
async function commitFails(taskQueue: string, destination: string) {
  const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: `upload/wf/${destination}`, args: [input(destination)] });
  await handle.executeUpdate(stageUpdate, { args: [stageInput] });
  const commit = await handle.startUpdate(commitUpdate, { args: [{ transferId: 7, deletionPolicy: 'DISALLOWED' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
  // Awaiting the result lets the test server skip the retries' back-off.
  const verdict = failureDetails(await handle.result().catch((err: Error) => err));
  return { error: failureDetails(await commit.result().catch((err: Error) => err)), verdict };
}

test('a commit the store refuses for good (read-only disk): not retried; the upload fails at once (503), staging removed', async () => {
  const f = fakes();
  let commits = 0;
  const activities: FakeActivities = {
    ...f.activities,
    verifyAndCommitUpload: () =>
      run(async () => {
        commits++;
        throw fsError('EROFS', "read-only file system, mkdir '/store/obs'");
      }),
  };
  const reason = "The filesystem is read-only (EROFS: read-only file system, mkdir '/store/obs').";
  const r = await withWorker(env, activities, (taskQueue) => commitFails(taskQueue, 'obs/readonly.dat'));
  expect(r.error).toMatchObject({ status: 503, reason });
  expect(r.verdict).toMatchObject({ transfer_id: 7, status: 503, reason });
  expect(commits).toBe(1);
  expect(f.failed).toEqual([{ transferId: 7, reason, status: 503, at: expect.any(Number) }]);
});

test('a disk that keeps failing (EIO): the commit is retried for about two minutes, then the upload fails (503), staging removed', async () => {
  const f = fakes();
  const tries: number[] = [];
  const activities: FakeActivities = {
    ...f.activities,
    verifyAndCommitUpload: () =>
      run(async () => {
        tries.push(await env.currentTimeMs());
        throw fsError('EIO', "i/o error, rename '/staging/x' -> '/store/obs/x'");
      }),
  };
  const reason = "The upload could not be verified and committed; the last of repeated attempts failed with: EIO: i/o error, rename '/staging/x' -> '/store/obs/x'.";
  const r = await withWorker(env, activities, (taskQueue) => commitFails(taskQueue, 'obs/failing.dat'));
  expect(r.error).toMatchObject({ status: 503, reason });
  expect(r.verdict).toMatchObject({ transfer_id: 7, status: 503, reason });
  expect(tries).toHaveLength(8);
  // 1 s doubling to 1 min between tries: 1 + 2 + 4 + 8 + 16 + 32 + 60 s.
  expect(tries.at(-1)! - tries[0]!).toBeGreaterThanOrEqual(123_000);
  expect(tries.at(-1)! - tries[0]!).toBeLessThan(135_000);
  expect(f.failed).toEqual([{ transferId: 7, reason, status: 503, at: expect.any(Number) }]);
});

test('a stage that keeps failing (EIO) is given up after two minutes: 503 saying what the last attempt met', async () => {
  const tries: number[] = [];
  const activities: FakeActivities = {
    stageUpload: () =>
      run(async () => {
        tries.push(await env.currentTimeMs());
        throw fsError('EIO', "i/o error, mkdir '/staging/x'");
      }),
  };
  const r = await withWorker(env, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/unstageable.dat', args: [input('obs/unstageable.dat')] });
    const stage = await handle.startUpdate(stageUpdate, { args: [stageInput], waitForStage: WorkflowUpdateStage.ACCEPTED });
    const verdict = failureDetails(await handle.result().catch((err: Error) => err));
    return { error: failureDetails(await stage.result().catch((err: Error) => err)), verdict };
  });
  expect(r.error).toMatchObject({ status: 503, reason: "The step failed repeatedly; the last attempt met: EIO: i/o error, mkdir '/staging/x'." });
  expect(r.verdict).toMatchObject({ status: 400 });
  expect(tries.at(-1)! - tries[0]!).toBeLessThanOrEqual(120_000);
  expect(tries.length).toBeGreaterThan(5);
});

const CANCELLED_REASON = 'The upload was cancelled by an operator before it was committed; staging removed.';

/** A promise the test settles: an activity waits on it, so a cancel can arrive while it runs. */
function latch() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

/** Resolves once the workflow has run a workflow task after the cancel request (it has seen it). */
async function cancelSeen(handle: WorkflowHandle): Promise<void> {
  const { EventType } = temporal.api.enums.v1;
  await waitFor('the workflow to see the cancel', async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const asked = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    return asked >= 0 && events.slice(asked).some((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
  }, 60_000, 50);
}

async function endsCancelled(handle: WorkflowHandle): Promise<void> {
  const err = await handle.result().catch((e: Error) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
  expect((await handle.describe()).status.name).toBe('CANCELLED');
}

test('cancelled by an operator before its commit: the transfer is cancelled (410, staging removed) and the workflow ends cancelled', async () => {
  const f = fakes();
  await withWorker(env, f.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/cancelled.dat', args: [input('obs/cancelled.dat')] });
    await handle.executeUpdate(stageUpdate, { args: [stageInput] });
    await handle.cancel();
    await endsCancelled(handle);
  });
  expect(f.cancelled).toEqual([[7, CANCELLED_REASON, 410]]);
  expect(f.failed).toEqual([]);
});

test('cancelled while its stage runs: the stage finishes and answers, then the transfer it made is cancelled', async () => {
  const f = fakes();
  const begun = latch();
  const release = latch();
  const activities: FakeActivities = {
    ...f.activities,
    async stageUpload(req) {
      begun.open();
      await release.opened;
      return f.activities.stageUpload!(req);
    },
  };
  await withWorker(env, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/cancelled-staging.dat', args: [input('obs/cancelled-staging.dat')] });
    const staged = await handle.startUpdate(stageUpdate, { args: [stageInput], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await begun.opened;
    await handle.cancel();
    await cancelSeen(handle);
    release.open();
    expect(await staged.result()).toMatchObject({ transferId: 7, destination: 'obs/cancelled-staging.dat' });
    await endsCancelled(handle);
  });
  expect(f.cancelled).toEqual([[7, CANCELLED_REASON, 410]]);
});

test('a cancel during the commit does not cut it short: the commit finishes, its caller gets the verdict, the workflow completes', async () => {
  const f = fakes();
  const begun = latch();
  const release = latch();
  const result = { fileName: 'obs/committing.dat', instanceId: 7, storeId: 1, storeName: 'main', path: '/store/obs/committing.dat' };
  const activities: FakeActivities = {
    ...f.activities,
    async verifyAndCommitUpload() {
      begun.open();
      await release.opened;
      return { ok: true, result };
    },
  };
  await withWorker(env, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/committing.dat', args: [input('obs/committing.dat')] });
    await handle.executeUpdate(stageUpdate, { args: [stageInput] });
    const commit = await handle.startUpdate(commitUpdate, { args: [{ transferId: 7, deletionPolicy: 'DISALLOWED' }], waitForStage: WorkflowUpdateStage.ACCEPTED });
    await begun.opened;
    await handle.cancel();
    await cancelSeen(handle);
    release.open();
    expect(await commit.result()).toEqual(result);
    expect(await handle.result()).toEqual({ ok: true, transferId: 7, result });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });
  expect(f.cancelled).toEqual([]);
  expect(f.failed).toEqual([]);
});

/**
 * The fakes, with `step` held once it starts until the test lets it go, and stages counted: a
 * stage can then arrive while the upload ends.
 */
function holding(f: ReturnType<typeof fakes>, step: 'failUpload' | 'cancelUpload') {
  const begun = latch();
  const release = latch();
  let stages = 0;
  const activities: FakeActivities = {
    ...f.activities,
    async stageUpload(req) {
      stages++;
      return f.activities.stageUpload!(req);
    },
    async [step](transferId: number, reason: string, status: number) {
      begun.open();
      await release.opened;
      return (f.activities[step] as (id: number, reason: string, status: number) => Promise<void>)(transferId, reason, status);
    },
  };
  return {
    activities,
    stages: () => stages,
    /** A stage sent while `step` is held, then `step` let go: the failure the stage got. */
    async lateStage(handle: WorkflowHandle) {
      await begun.opened;
      // Accepted while the step still runs; its outcome is asked for after (on the time-skipping
      // server, asking for it while that activity was held did not return).
      const asked = await handle.startUpdate(stageUpdate, { args: [stageInput], waitForStage: WorkflowUpdateStage.ACCEPTED });
      release.open();
      return failureDetails(await asked.result().catch((e: Error) => e));
    },
  };
}

const ENDING_REMEDY = 'Stage it again in a moment: once this upload has ended, a new stage of the name starts a new one.';

test('a stage that reaches an upload while its timeout fails it is refused (409), not staged: nothing would end the transfer it made', async () => {
  const f = fakes();
  const held = holding(f, 'failUpload');
  await withWorker(env, held.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/timing-out.dat', args: [input('obs/timing-out.dat')] });
    await handle.executeUpdate(stageUpdate, { args: [stageInput] });
    // Waiting for the result lets the test server skip to the timeout.
    const ended = handle.result().catch((e: Error) => e);
    expect(await held.lateStage(handle)).toEqual({
      status: 409,
      reason: 'The upload of "obs/timing-out.dat" has just ended: Not committed within 86400 s of the last activity; staging removed.',
      suggested_remedy: ENDING_REMEDY,
    });
    expect(failureDetails(await ended)).toMatchObject({ status: 408, transfer_id: 7 });
  });
  expect(held.stages()).toBe(1);
  expect(f.failed.map((x) => [x.transferId, x.status])).toEqual([[7, 408]]);
});

test("a stage that reaches an upload an operator is cancelling gets 410 saying so (not Temporal's cancellation), and stages nothing", async () => {
  const f = fakes();
  const held = holding(f, 'cancelUpload');
  await withWorker(env, held.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof upload>('upload', { taskQueue, workflowId: 'upload/wf/obs/being-cancelled.dat', args: [input('obs/being-cancelled.dat')] });
    await handle.executeUpdate(stageUpdate, { args: [stageInput] });
    await handle.cancel();
    expect(await held.lateStage(handle)).toEqual({ status: 410, reason: 'The upload of "obs/being-cancelled.dat" is being cancelled by an operator.', suggested_remedy: ENDING_REMEDY });
    await endsCancelled(handle);
  });
  expect(held.stages()).toBe(1);
  expect(f.cancelled).toEqual([[7, CANCELLED_REASON, 410]]);
});
