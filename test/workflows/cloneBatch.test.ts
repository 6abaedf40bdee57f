/**
 * A clone batch (src/workflows/cloneBatch.ts) through outages at their real lengths and at the
 * production retry settings (10 s doubling up to 30 min, polls every 60 s, give-up after 7 days),
 * on the time-skipping test server. The peer and Globus are fakes that fail until the outage is
 * over by the server's clock; everything else is the real workflow.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { cloneBatchSettings } from '../../src/domain/clone/planner';
import { batchStateQuery, pauseSignal, type cloneBatch } from '../../src/workflows/cloneBatch';
import { PHASE } from '../../src/workflows/searchAttributes';
import { DAY, HOUR, MINUTE, outage, productionConfig, withWorker, workflowEnv, type FakeActivities } from '../support/workflows';

jest.setTimeout(5 * 60_000);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await workflowEnv();
});
afterAll(() => env?.teardown());

const PEER = 'peer-b';
const ITEMS = [
  { id: 1, remoteId: 11, sourcePath: '/data/a', destPath: '/staging/x/a', size: 100 },
  { id: 2, remoteId: 12, sourcePath: '/data/b', destPath: '/staging/y/b', size: 200 },
];

/** A batch the peer stages at once, sent by local copy; the peer's callbacks all arrived. */
function healthyPeer(over: FakeActivities = {}) {
  const calls: string[] = [];
  const abandoned: { reason: string; at: number }[] = [];
  const activities: FakeActivities = {
    async peerTransfersEnabled() {
      return true;
    },
    async stageCloneBatch() {
      calls.push('stage');
      return { staged: ITEMS, resolved: 0, methods: { local: { hostnames: [] } }, localUsable: true };
    },
    async setCloneStatusOnPeer(_batchId: string, to: 'ONGOING' | 'STAGED') {
      calls.push(`status ${to}`);
      return { failed: [] };
    },
    async copyCloneBatchLocally() {
      calls.push('copy');
      return { bytes: 300, seconds: 0.1, lost: 0 };
    },
    async recordCloneTransfer() {
      calls.push('record');
    },
    async pendingCloneItems() {
      return [];
    },
    async reconcileCloneBatch() {
      calls.push('reconcile');
      return { pending: [] };
    },
    async verifyRejectedSources() {
      calls.push('check rejected');
      return { checked: 0, damaged: 0 };
    },
    async startAwaitingRepairs() {
      calls.push('start repairs');
      return { started: [] };
    },
    async abandonCloneBatch(_batchId: string, reason: string) {
      abandoned.push({ reason, at: await env.currentTimeMs() });
      return ITEMS.length;
    },
    ...over,
  };
  return { activities, calls, abandoned };
}

const settings = (over: Record<string, unknown> = {}) => cloneBatchSettings(productionConfig(over));
const unreachable = () => new Error(`checkin/update STAGED on ${PEER}: Cannot reach the Librarian at http://b.example.org:8080/api/v2/checkin/update: connect ECONNREFUSED`);

test('the peer down for 3 days mid-batch: retried at the production back-off (capped at 30 min), then the batch completes', async () => {
  const down = outage(env, 3 * DAY, unreachable);
  const { activities, calls, abandoned } = healthyPeer({
    async setCloneStatusOnPeer(_batchId: string, to: 'ONGOING' | 'STAGED') {
      if (to === 'STAGED') await down.check();
      calls.push(`status ${to}`);
      return { failed: [] };
    },
  });
  const wall = Date.now();
  const r = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: `clone/wf/${PEER}/down-3d-0`, args: [{ peer: PEER, batchId: `clone/wf/${PEER}/down-3d-0`, settings: settings() }] }),
  );
  const s = down.stats();
  console.log(`peer down 3 days: ${s.calls} attempts over ${(s.spanMs / DAY).toFixed(2)} days of workflow time, ${((Date.now() - wall) / 1000).toFixed(1)} s of wall time`);
  expect(r).toEqual({ batchId: `clone/wf/${PEER}/down-3d-0`, outcome: 'done' });
  expect(calls).toEqual(['stage', 'status ONGOING', 'copy', 'record', 'status STAGED', 'check rejected']);
  expect(abandoned).toEqual([]);
  expect(s.spanMs).toBeGreaterThanOrEqual(3 * DAY);
  // 10 s, 20 s, 40 s ... then every 30 min: the cap was reached and held; the last wait is at most 30 min.
  expect(s.maxGapMs).toBeGreaterThanOrEqual(30 * MINUTE);
  expect(s.maxGapMs).toBeLessThan(30 * MINUTE + 5_000);
  expect(s.spanMs).toBeLessThan(3 * DAY + 30 * MINUTE + 5_000);
  // 8 doubling waits (2550 s), then (3 days - 2550 s) / 30 min more.
  expect(s.calls).toBeGreaterThanOrEqual(150);
  expect(s.calls).toBeLessThanOrEqual(153);
});

test('Globus answering 503 for 6 hours while polling, after a submit whose reply was lost: one task, polled every minute, nothing failed', async () => {
  const globusDown = outage(env, 6 * HOUR, () => new Error('Globus task status is unavailable for now (HTTP 503 ServiceUnavailable: The service is down for maintenance.).'));
  const submissions: string[] = [];
  const submits: string[] = [];
  const { activities, calls, abandoned } = healthyPeer({
    async stageCloneBatch() {
      calls.push('stage');
      return { staged: ITEMS, resolved: 0, methods: { globus: { endpointId: 'b-endpoint', root: '/' } }, localUsable: false };
    },
    async globusSubmissionId() {
      submissions.push('sid');
      return 'submission-1';
    },
    async globusSubmit(_batchId: string, submissionId: string) {
      submits.push(submissionId);
      if (submits.length === 1) throw new Error('Globus transfer submission is unavailable for now (HTTP 503 ServiceUnavailable: Lost reply).');
      return { taskId: 'task-1', lost: 0 };
    },
    async globusPoll(taskId: string) {
      await globusDown.check();
      return { status: 'SUCCEEDED', bytes: 300, files: 2, requestTime: null, completionTime: null, sourceEndpointId: 'a', destinationEndpointId: taskId };
    },
  });
  const batchId = `clone/wf/${PEER}/globus-6h-0`;
  const r = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: batchId, args: [{ peer: PEER, batchId, settings: settings({ clone: { methods: ['globus'] }, globus: { enabled: true, clientId: 'c', clientSecret: 's', localEndpointId: 'a' } }) }] }),
  );
  const s = globusDown.stats();
  console.log(`Globus down 6 hours: ${s.calls} polls over ${(s.spanMs / HOUR).toFixed(2)} hours of workflow time`);
  expect(r).toEqual({ batchId, outcome: 'done' });
  expect(submissions).toHaveLength(1);
  expect(submits).toEqual(['submission-1', 'submission-1']);
  expect(calls).toEqual(['stage', 'status ONGOING', 'record', 'status STAGED', 'check rejected']);
  expect(abandoned).toEqual([]);
  expect(s.spanMs).toBeGreaterThanOrEqual(6 * HOUR);
  expect(s.maxGapMs).toBeLessThan(MINUTE + 5_000);
  expect(s.calls).toBeGreaterThanOrEqual(360);
  expect(s.calls).toBeLessThanOrEqual(362);
});

test('the peer gone for good: after 7 days of retries the batch gives up explicitly, failing its files for a later batch', async () => {
  const gone = outage(env, 365 * DAY, () => new Error(`clone/batch_stage on ${PEER}: Cannot reach the Librarian at http://b.example.org:8080/api/v2/clone/batch_stage: connect ECONNREFUSED`));
  const { activities, abandoned } = healthyPeer({
    async stageCloneBatch() {
      await gone.check();
      throw new Error('unreachable');
    },
  });
  const batchId = `clone/wf/${PEER}/give-up-0`;
  const r = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: batchId, args: [{ peer: PEER, batchId, settings: settings() }] }),
  );
  expect(r).toEqual({ batchId, outcome: 'gave-up', reason: expect.stringMatching(new RegExp(`clone/batch_stage on ${PEER}: Cannot reach the Librarian.*\\(gave up after 604800 s of retries\\)$`)) });
  expect(abandoned).toHaveLength(1);
  expect(abandoned[0]!.reason).toBe(r.reason);
  const first = gone.calls[0]!;
  expect(abandoned[0]!.at - first).toBeGreaterThanOrEqual(7 * DAY - 30 * MINUTE);
  expect(abandoned[0]!.at - first).toBeLessThanOrEqual(7 * DAY + 5_000);
});

test('a paused peer holds the batch for a week before its first step; resuming lets it finish', async () => {
  const { activities, calls } = healthyPeer({
    async peerTransfersEnabled() {
      return false;
    },
  });
  const batchId = `clone/wf/${PEER}/paused-0`;
  await withWorker(env, activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: batchId, args: [{ peer: PEER, batchId, settings: settings() }] });
    const t0 = await env.currentTimeMs();
    await env.sleep(7 * DAY);
    expect((await env.currentTimeMs()) - t0).toBeGreaterThanOrEqual(7 * DAY);
    expect(await handle.query(batchStateQuery)).toEqual({ phase: 'staging', paused: true });
    expect((await handle.describe()).typedSearchAttributes.get(PHASE)).toBe('paused (staging)');
    expect(calls).toEqual([]);
    await handle.signal(pauseSignal, false);
    expect(await handle.result()).toEqual({ batchId, outcome: 'done' });
  });
  expect(calls).toEqual(['stage', 'status ONGOING', 'copy', 'record', 'status STAGED', 'check rejected']);
});

test('callbacks that do not come: after clone.callbackWait (10 min) the batch asks the peer', async () => {
  let asked: number | undefined;
  let waiting: number | undefined;
  const { activities } = healthyPeer({
    async pendingCloneItems() {
      waiting ??= await env.currentTimeMs();
      return [1, 2];
    },
    async reconcileCloneBatch() {
      asked = await env.currentTimeMs();
      return { pending: [] };
    },
  });
  const batchId = `clone/wf/${PEER}/late-0`;
  const r = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: batchId, args: [{ peer: PEER, batchId, settings: settings() }] }),
  );
  expect(r.outcome).toBe('done');
  expect(asked! - waiting!).toBeGreaterThanOrEqual(10 * MINUTE);
  expect(asked! - waiting!).toBeLessThan(10 * MINUTE + 5_000);
});

test('a refusal that will not change is not retried: the batch fails at once', async () => {
  const { activities, abandoned } = healthyPeer({
    async stageCloneBatch() {
      throw ApplicationFailure.create({ type: 'LibrarianError', message: 'refused', nonRetryable: true, details: [{ status: 400, reason: `clone/batch_stage on ${PEER} was refused: bad request`, suggested_remedy: 'x' }] });
    },
  });
  const batchId = `clone/wf/${PEER}/refused-0`;
  const r = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: batchId, args: [{ peer: PEER, batchId, settings: settings() }] }),
  );
  expect(r).toEqual({ batchId, outcome: 'gave-up', reason: `clone/batch_stage on ${PEER} was refused: bad request` });
  expect(abandoned.map((a) => a.reason)).toEqual([r.reason]);
});

test('every source found lost at submission: no Globus task, nothing polled, and the lost copies\' repairs are started', async () => {
  const { activities, calls, abandoned } = healthyPeer({
    async stageCloneBatch() {
      calls.push('stage');
      return { staged: ITEMS, resolved: 0, methods: { globus: { endpointId: 'b-endpoint', root: '/' } }, localUsable: false };
    },
    async globusSubmissionId() {
      return 'submission-2';
    },
    async globusSubmit() {
      calls.push('submit');
      return { taskId: null, lost: 2 };
    },
    async globusPoll() {
      calls.push('poll');
      throw new Error('must not poll');
    },
  });
  const batchId = `clone/wf/${PEER}/all-lost-0`;
  const r = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: batchId, args: [{ peer: PEER, batchId, settings: settings({ clone: { methods: ['globus'] }, globus: { enabled: true, clientId: 'c', clientSecret: 's', localEndpointId: 'a' } }) }] }),
  );
  expect(r).toEqual({ batchId, outcome: 'done' });
  expect(calls).toEqual(['stage', 'status ONGOING', 'submit', 'check rejected', 'start repairs']);
  expect(abandoned).toEqual([]);
});

test('the peer rejected files as damaged on arrival: our copies are re-verified, the damaged count is reported and their repairs started', async () => {
  const { activities, calls } = healthyPeer({
    async verifyRejectedSources() {
      calls.push('check rejected');
      return { checked: 2, damaged: 1 };
    },
  });
  const batchId = `clone/wf/${PEER}/rejected-0`;
  const r = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof cloneBatch>('cloneBatch', { taskQueue, workflowId: batchId, args: [{ peer: PEER, batchId, settings: settings() }] }),
  );
  expect(r).toEqual({ batchId, outcome: 'done', damagedSources: 1 });
  expect(calls).toEqual(['stage', 'status ONGOING', 'copy', 'record', 'status STAGED', 'check rejected', 'start repairs']);
});
