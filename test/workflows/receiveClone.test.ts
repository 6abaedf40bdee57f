/**
 * Receiving one file (src/workflows/receiveClone.ts) at the production settings on the
 * time-skipping test server: the source down for 3 days while we confirm, data that never comes
 * (asked about after clone.receiveTimeout, 1 day), the receive workflow as the one writer of
 * STAGED whichever way it learns the data is there, and a commit that fails for good or keeps
 * failing: the transfer fails and the source is told, so it offers the file again.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { run } from '../../src/activities/support';
import { receiveSettings } from '../../src/flows/clone';
import { stagedSignal, type receiveClone } from '../../src/workflows/receiveClone';
import { DAY, MINUTE, outage, productionConfig, withWorker, workflowEnv, type FakeActivities } from '../support/workflows';

jest.setTimeout(5 * 60_000);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await workflowEnv();
});
afterAll(() => env?.teardown());

const settings = receiveSettings(productionConfig());

function fakes(over: FakeActivities = {}) {
  const calls: string[] = [];
  const activities: FakeActivities = {
    async markIncomingStaged(_id: number, method?: string) {
      calls.push(`staged${method ? ` (${method})` : ''}`);
      return 'STAGED';
    },
    async incomingStatus() {
      return 'ONGOING';
    },
    async verifyIncoming() {
      calls.push('verify');
      return { ok: true, size: 10, checksum: 'x' };
    },
    async commitIncoming() {
      calls.push('commit');
      return { storeId: 3 };
    },
    async notifySourceComplete(_id: number, storeId: number) {
      calls.push(`complete ${storeId}`);
    },
    async failIncoming(_id: number, reason: string, status: number) {
      calls.push(`fail ${status}: ${reason}`);
    },
    async notifySourceFailed(_id: number, reason: string) {
      calls.push(`tell source failed: ${reason}`);
      return { acknowledged: true };
    },
    ...over,
  };
  return { activities, calls };
}

test('the source down for 3 days when its file is committed: the confirmation is retried until it answers', async () => {
  const down = outage(env, 3 * DAY, () => new Error('clone/complete on site-a: Cannot reach the Librarian at http://a.example.org:8080/api/v2/clone/complete: connect ECONNREFUSED'));
  const f = fakes({
    async notifySourceComplete(_id: number, storeId: number) {
      await down.check();
      f.calls.push(`complete ${storeId}`);
    },
  });
  const r = await withWorker(env, f.activities, (taskQueue) =>
    env.client.workflow.execute<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/1', args: [{ transferId: 1, source: 'site-a', staged: true, method: 'sneakernet', ...settings }] }),
  );
  expect(r).toEqual({ transferId: 1, outcome: 'done', storeId: 3 });
  expect(f.calls).toEqual(['staged (sneakernet)', 'verify', 'commit', 'complete 3']);
  const s = down.stats();
  expect(s.spanMs).toBeGreaterThanOrEqual(3 * DAY);
  expect(s.maxGapMs).toBeLessThan(30 * MINUTE + 5_000);
});

test('data that never comes: after a day the source is asked, and a transfer it no longer sends is failed here', async () => {
  let askedAt = 0;
  const f = fakes({
    async askSourceStatus() {
      askedAt = await env.currentTimeMs();
      return 'FAILED';
    },
  });
  const started = await env.currentTimeMs();
  const r = await withWorker(env, f.activities, (taskQueue) =>
    env.client.workflow.execute<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/2', args: [{ transferId: 2, source: 'site-a', ...settings }] }),
  );
  expect(r).toEqual({ transferId: 2, outcome: 'failed', reason: 'site-a no longer sends it (its status: FAILED)' });
  expect(f.calls).toEqual(['fail 409: site-a no longer sends it (its status: FAILED)']);
  expect(askedAt - started).toBeGreaterThanOrEqual(DAY);
  expect(askedAt - started).toBeLessThan(DAY + 10 * MINUTE);
});

test('the source says STAGED (a signal), or says so when asked: either way the workflow records it, then verifies', async () => {
  const f = fakes();
  await withWorker(env, f.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/3', args: [{ transferId: 3, source: 'site-a', ...settings }] });
    await handle.signal(stagedSignal);
    expect(await handle.result()).toEqual({ transferId: 3, outcome: 'done', storeId: 3 });
  });
  expect(f.calls).toEqual(['staged', 'verify', 'commit', 'complete 3']);

  const g = fakes({
    async askSourceStatus() {
      return 'STAGED';
    },
  });
  const r = await withWorker(env, g.activities, (taskQueue) =>
    env.client.workflow.execute<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/4', args: [{ transferId: 4, source: 'site-a', ...settings }] }),
  );
  expect(r.outcome).toBe('done');
  expect(g.calls).toEqual(['staged', 'verify', 'commit', 'complete 3']);
});

test('a copy that fails verification is never committed: failed here and reported to the source', async () => {
  const f = fakes({
    async verifyIncoming() {
      f.calls.push('verify');
      return { ok: false, status: 406, reason: 'Checksum mismatch: the upload declared a, the staged data hashes to b.', suggestedRemedy: 'x' };
    },
  });
  const r = await withWorker(env, f.activities, (taskQueue) =>
    env.client.workflow.execute<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/5', args: [{ transferId: 5, source: 'site-a', staged: true, ...settings }] }),
  );
  expect(r).toEqual({ transferId: 5, outcome: 'rejected', reason: 'Checksum mismatch: the upload declared a, the staged data hashes to b.' });
  expect(f.calls).toEqual([
    'staged',
    'verify',
    'fail 406: Checksum mismatch: the upload declared a, the staged data hashes to b.',
    'tell source failed: Checksum mismatch: the upload declared a, the staged data hashes to b.',
  ]);
});

/** An error as the filesystem raises it. */
function fsError(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}`), { code, errno: -1, syscall: message.split(' ').at(-2) });
}

test('a commit the store refuses for good (read-only disk): not retried; failed here and reported to the source', async () => {
  let commits = 0;
  const f = fakes({
    commitIncoming: () =>
      run(async () => {
        commits++;
        throw fsError('EROFS', "read-only file system, mkdir '/store/obs'");
      }),
  });
  const r = await withWorker(env, f.activities, (taskQueue) =>
    env.client.workflow.execute<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/6', args: [{ transferId: 6, source: 'site-a', staged: true, ...settings }] }),
  );
  const reason = "The filesystem is read-only (EROFS: read-only file system, mkdir '/store/obs').";
  expect(r).toEqual({ transferId: 6, outcome: 'failed', reason });
  expect(commits).toBe(1);
  expect(f.calls).toEqual(['staged', 'verify', `fail 503: ${reason}`, `tell source failed: ${reason}`]);
});

test('a disk that keeps failing (EIO): the commit is retried for about two minutes, then failed here and reported to the source', async () => {
  const tries: number[] = [];
  const f = fakes({
    commitIncoming: () =>
      run(async () => {
        tries.push(await env.currentTimeMs());
        throw fsError('EIO', "i/o error, rename '/staging/x' -> '/store/obs/x'");
      }),
  });
  const r = await withWorker(env, f.activities, (taskQueue) =>
    env.client.workflow.execute<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/7', args: [{ transferId: 7, source: 'site-a', staged: true, ...settings }] }),
  );
  const reason = "Verifying and committing failed repeatedly: EIO: i/o error, rename '/staging/x' -> '/store/obs/x'.";
  expect(r).toEqual({ transferId: 7, outcome: 'failed', reason });
  expect(tries).toHaveLength(8);
  // 1 s doubling to 1 min between tries: 1 + 2 + 4 + 8 + 16 + 32 + 60 s.
  expect(tries.at(-1)! - tries[0]!).toBeGreaterThanOrEqual(123_000);
  expect(tries.at(-1)! - tries[0]!).toBeLessThan(135_000);
  expect(f.calls).toEqual(['staged', 'verify', `fail 503: ${reason}`, `tell source failed: ${reason}`]);
});
