/**
 * Remote cloning through outages, crashes, corruption and pauses, between two real Librarians
 * (A on PostgreSQL sending through the fake Globus, B on SQLite).
 *
 * Outage lengths: these tests use SHORT CONFIGURED INTERVALS, not Temporal's time-skipping
 * server. Retries back off from 200 ms to a 2 s cap (production: 10 s to 30 min) and a batch
 * gives up after 10 min (production: 7 days). "B down for 3 days" is B's API down for 20 s,
 * i.e. at least 10 retries at the capped interval, the same shape as 3 days is at the 30 min cap
 * (~144 retries); nothing in the flows depends on wall-clock length other than these settings.
 * "Globus answering 503 for 6 hours" is 503 (JSON and HTML), reset connections and hanging
 * requests for 14 s against a 1 s poll interval.
 */
import { closeSync, ftruncateSync, openSync } from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { uploadPath } from '../../src/client/upload';
import { batchStateQuery } from '../../src/workflows/cloneBatch';
import { cloneAll, expectCloned, FAST_CLONE, fill } from '../support/clone';
import { closeChecksums, tmpDir } from '../support/data';
import { FakeGlobus } from '../support/fakeGlobus';
import { lastAttempt } from '../support/history';
import { connectPeers, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';
import { testTemporalClient } from '../support/temporalServer';

let temporal: Client;
let fake: FakeGlobus;
let a: LibrarianHandle;
let b: LibrarianHandle;
const endpoints: Record<string, string> = {};

beforeAll(async () => {
  temporal = await testTemporalClient();
  fake = new FakeGlobus({ 'client-a': 'secret-a' }, endpoints);
  const url = await fake.start();
  const aEndpoint = randomUUID();
  const bEndpoint = randomUUID();
  b = await startLibrarian({
    name: `b-${randomUUID().slice(0, 6)}`,
    provider: 'sqlite',
    config: FAST_CLONE,
    stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store', transferMethods: { globus: { endpointId: bEndpoint, root: '.' } } }],
  });
  endpoints[bEndpoint] = b.dir;
  a = await startLibrarian({
    name: `a-${randomUUID().slice(0, 6)}`,
    provider: 'postgresql',
    config: {
      ...FAST_CLONE,
      clone: { ...FAST_CLONE.clone, methods: ['globus'] },
      globus: { enabled: true, clientId: 'client-a', clientSecret: 'secret-a', localEndpointId: aEndpoint, localRoot: '.', transferUrl: url, authUrl: url, pollInterval: '1s', requestTimeout: '2s' },
    },
  });
  endpoints[aEndpoint] = a.dir;
  await connectPeers(a, b);
});

afterAll(async () => {
  await stopAllLibrarians();
  await fake.stop();
  await temporal.connection.close();
  await closeChecksums();
});

afterEach(() => {
  fake.plan = { delayMs: 200, hold: false };
  fake.clearOutage();
});

async function sendOne(): Promise<string> {
  const r = await a.client().post<{ batch_ids: string[] }>('admin/clone/send', { peer: b.name });
  expect(r.batch_ids).toHaveLength(1);
  return r.batch_ids[0]!;
}

async function waitPhase(batchId: string, phase: RegExp): Promise<void> {
  await waitFor(`batch ${batchId} to reach ${phase}`, async () => phase.test((await temporal.workflow.getHandle(batchId).query(batchStateQuery)).phase), 120_000, 200);
}

async function batchDone(batchId: string): Promise<{ outcome: string; reason?: string }> {
  return temporal.workflow.getHandle(batchId).result();
}

function heldTask(): string {
  const active = [...fake.tasks.values()].filter((t) => t.status === 'ACTIVE');
  expect(active).toHaveLength(1);
  return active[0]!.task_id;
}

async function pendingAttempts(workflowId: string, activity: string): Promise<number> {
  const d = await temporal.workflow.getHandle(workflowId).describe();
  return (d.raw.pendingActivities ?? []).find((p) => p.activityType?.name === activity)?.attempt ?? 0;
}

test('B down mid-batch ("3 days": 20 s at a 2 s retry cap): the batch waits, then completes; clone status shows what it waits for', async () => {
  fake.plan.hold = true;
  const files = await fill(a, { files: 10, books: 1, prefix: 'outage' });
  const batchId = await sendOne();
  await waitPhase(batchId, /^polling$/);
  await b.stopApi();
  const down = Date.now();
  await fake.succeed(heldTask());
  await waitFor('A to retry checkin/update against the absent B', async () => (await pendingAttempts(batchId, 'setCloneStatusOnPeer')) >= 5, 60_000, 500);
  const status = a.cli(['clone', 'status', '--peer', b.name, '--json']).json<{ batches: { workflow_id: string; phase: string; waiting_for: string; next_retry: string | null }[] }>();
  expect(status.batches).toEqual([
    expect.objectContaining({ workflow_id: batchId, phase: 'staged', waiting_for: expect.stringMatching(/^setCloneStatusOnPeer \(attempt \d+: checkin\/update STAGED on .*: Cannot reach the Librarian/), next_retry: expect.any(String) }),
  ]);
  await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - down))));
  await b.startApi();
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  await expectCloned(a, b, files);
});

test('Globus unreachable ("6 hours": 503, HTML 503, resets, hangs for 14 s) and a lost submit reply: no second task, nothing failed', async () => {
  fake.plan.hold = true;
  fake.plan.loseNextSubmitReply = true;
  const files = await fill(a, { files: 8, books: 1, prefix: 'globus-outage' });
  const tasksBefore = fake.tasks.size;
  const batchId = await sendOne();
  await waitPhase(batchId, /^polling$/);
  expect(fake.duplicatesAnswered).toBe(1);
  const task = heldTask();
  const polls = () => fake.requests.filter((r) => r.path === `/v0.10/task/${task}`).length;
  for (const mode of ['json503', 'html503', 'reset', 'hang'] as const) {
    fake.setOutage('all', mode, 3500);
    await new Promise((r) => setTimeout(r, 3500));
  }
  // The task kept running during the outage; it finishes now.
  const before = polls();
  await fake.succeed(task);
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  expect(polls()).toBeGreaterThan(before);
  expect(fake.tasks.size - tasksBefore).toBe(1);
  await expectCloned(a, b, files);
  const svc = await a.services();
  expect(await svc.db.outgoingTransfer.count({ where: { batchId, status: { not: 'COMPLETED' } } })).toBe(0);
});

test('a token revoked mid-batch is fetched again after the 401; nothing fails', async () => {
  fake.plan.hold = true;
  const files = await fill(a, { files: 3, books: 0, prefix: 'revoked' });
  const batchId = await sendOne();
  await waitPhase(batchId, /^polling$/);
  const tokens = fake.count('POST', '/v2/oauth2/token');
  fake.revokeTokens();
  const task = heldTask();
  await waitFor('a poll with a fresh token', async () => fake.count('POST', '/v2/oauth2/token') > tokens, 30_000);
  await fake.succeed(task);
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  await expectCloned(a, b, files);
});

test('a task with a persistent fatal fault is cancelled, its files failed and sent again in a later batch', async () => {
  fake.plan.faultCode = 'PERMISSION_DENIED';
  const files = await fill(a, { files: 3, books: 0, prefix: 'faulted' });
  const batchId = await sendOne();
  const result = await batchDone(batchId);
  expect(result).toMatchObject({ outcome: 'transfer-failed', reason: expect.stringMatching(/keeps failing with PERMISSION_DENIED/) });
  const task = [...fake.tasks.values()].find((t) => t.events.some((e) => e.code === 'PERMISSION_DENIED'))!;
  expect(task.status).toBe('FAILED');
  expect(task.fatal_error).toMatchObject({ code: 'CANCELED' });
  expect(fake.count('POST', `/v0.10/task/${task.task_id}/cancel`)).toBe(1);
  const svc = await a.services();
  expect((await svc.db.outgoingTransfer.findMany({ where: { batchId } })).map((t) => t.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
  // With the fault gone, the files go in the next batch.
  fake.plan.faultCode = undefined;
  await cloneAll(a, b, (await svc.db.remoteInstance.count()) + files.length);
  await expectCloned(a, b, files);
});

test("A's worker killed while polling: the poll resumes after restart, one task", async () => {
  fake.plan.hold = true;
  const files = await fill(a, { files: 6, books: 0, prefix: 'killed-poll' });
  const tasksBefore = fake.tasks.size;
  const batchId = await sendOne();
  await waitPhase(batchId, /^polling$/);
  await a.stopWorker('SIGKILL');
  await fake.succeed(heldTask());
  await new Promise((r) => setTimeout(r, 2000));
  await a.startWorker();
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  expect(fake.tasks.size - tasksBefore).toBe(1);
  await expectCloned(a, b, files);
});

test("B's worker killed while it verifies a 2 GiB file: verification retried, file committed once", async () => {
  const dir = tmpDir('big-');
  const big = path.join(dir, 'big.bin');
  const fd = openSync(big, 'w');
  ftruncateSync(fd, 2 * 1024 ** 3);
  closeSync(fd);
  await uploadPath(a.client(), big, 'big/zeros.bin', { via: 'copy', uploader: 'telescope-pipeline', algorithm: 'md5' });
  const batchId = await sendOne();
  const bSvc = await b.services();
  const incoming = await waitFor('B to stage the big file', async () => (await bSvc.db.incomingTransfer.findFirst({ where: { storePath: 'big/zeros.bin' } })) ?? undefined, 60_000);
  const receiveId = `receive/${b.name}/${incoming!.id}`;
  await waitFor('B to verify', async () => {
    const d = await temporal.workflow.getHandle(receiveId).describe().catch(() => undefined);
    return (d?.raw.pendingActivities ?? []).some((p) => p.activityType?.name === 'verifyIncoming' && p.state === 2);
  }, 180_000, 100);
  await new Promise((r) => setTimeout(r, 700));
  await b.stopWorker('SIGKILL');
  await b.startWorker();
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  expect(await lastAttempt(temporal, receiveId, 'verifyIncoming')).toBeGreaterThan(1);
  await expectCloned(a, b, [{ name: 'big/zeros.bin', local: big }]);
  expect(await bSvc.db.file.count({ where: { name: 'big/zeros.bin' } })).toBe(1);
});

test('a file corrupted in transit is rejected at B, reported to A, and sent again', async () => {
  fake.plan.corrupt = { pattern: /corrupt-me/, times: 1 };
  const files = await fill(a, { files: 5, books: 0, prefix: 'corrupt-me' });
  await cloneAll(a, b, (await (await a.services()).db.remoteInstance.count()) + files.length);
  await expectCloned(a, b, files);
  const aSvc = await a.services();
  const bSvc = await b.services();
  const failedOut = await aSvc.db.outgoingTransfer.findMany({ where: { fileName: { startsWith: 'corrupt-me/' }, status: 'FAILED' } });
  expect(failedOut).toHaveLength(1);
  expect(failedOut[0]!.failureReason).toMatch(new RegExp(`^${b.name} reported FAILED: Checksum mismatch`));
  const name = failedOut[0]!.fileName;
  expect((await aSvc.db.outgoingTransfer.findMany({ where: { fileName: name }, orderBy: { id: 'asc' } })).map((t) => t.status)).toEqual(['FAILED', 'COMPLETED']);
  expect((await bSvc.db.incomingTransfer.findMany({ where: { storePath: name }, orderBy: { id: 'asc' } })).map((t) => [t.status, t.failureStatus])).toEqual([
    ['FAILED', 406],
    ['COMPLETED', null],
  ]);
});

test('pausing the peer holds a batch in flight and new batches; resuming lets it finish', async () => {
  fake.plan.hold = true;
  const files = await fill(a, { files: 6, books: 0, prefix: 'paused' });
  const batchId = await sendOne();
  await waitPhase(batchId, /^polling$/);
  expect(a.cli(['peers', 'pause', b.name, '--json']).json()).toMatchObject({ transfers_enabled: false, batches_signalled: 1 });
  await fake.succeed(heldTask());
  await waitFor('the batch to hold', async () => (await temporal.workflow.getHandle(batchId).query(batchStateQuery)).phase === 'staged', 30_000);
  expect(await temporal.workflow.getHandle(batchId).query(batchStateQuery)).toMatchObject({ paused: true, phase: 'staged' });
  await new Promise((r) => setTimeout(r, 3000));
  const bSvc = await b.services();
  expect(await bSvc.db.file.count({ where: { name: { startsWith: 'paused/' } } })).toBe(0);
  expect(await bSvc.db.incomingTransfer.count({ where: { storePath: { startsWith: 'paused/' }, status: 'ONGOING' } })).toBe(files.length);
  await fill(a, { files: 2, books: 0, prefix: 'paused-later' });
  expect(await a.client().post('admin/clone/send', { peer: b.name })).toMatchObject({ batches_started: 0, waiting: 'peer paused' });
  const held = a.cli(['clone', 'status', '--peer', b.name, '--json']).json<{ peers: { name: string; in_flight_batches: number; waiting_files: number; waiting_reason: string | null }[] }>();
  expect(held.peers).toEqual([expect.objectContaining({ name: b.name, in_flight_batches: 1, waiting_files: 2, waiting_reason: 'peer paused' })]);
  expect(a.cli(['peers', 'list', '--json']).json<{ name: string; enabled: boolean }[]>()).toContainEqual(expect.objectContaining({ name: b.name, enabled: false }));
  expect(a.cli(['peers', 'resume', b.name, '--json']).json()).toMatchObject({ transfers_enabled: true, batches_signalled: 1 });
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  await expectCloned(a, b, files);
});

test('giving up is explicit: with B gone past the give-up time the batch fails its files, which are sent again later', async () => {
  const c = await startLibrarian({ name: `c-${randomUUID().slice(0, 6)}`, provider: 'sqlite', config: { ...FAST_CLONE, clone: { ...FAST_CLONE.clone, methods: ['local'], giveUpAfter: '6s' } } });
  const d = await startLibrarian({ name: `d-${randomUUID().slice(0, 6)}`, provider: 'sqlite', config: FAST_CLONE });
  await connectPeers(c, d);
  const files = await fill(c, { files: 4, books: 0, prefix: 'give-up' });
  await d.stopApi();
  const r = await c.client().post<{ batch_ids: string[] }>('admin/clone/send', { peer: d.name });
  const result = await temporal.workflow.getHandle(r.batch_ids[0]!).result();
  expect(result).toMatchObject({ outcome: 'gave-up', reason: expect.stringMatching(/clone\/batch_stage on .*: Cannot reach the Librarian.*gave up after/) });
  const svc = await c.services();
  expect((await svc.db.outgoingTransfer.findMany({ where: { destination: d.name } })).map((t) => t.status)).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED']);
  expect(c.logOf('worker')).toMatch(/clone batch abandoned; its files will be offered again/);
  await d.startApi();
  await cloneAll(c, d, files.length);
  await expectCloned(c, d, files);
});
