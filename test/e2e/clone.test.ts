/**
 * Remote cloning between real Librarians (their own API servers, workers, catalogs and stores):
 * A (SQLite) sends to B (SQLite) through the real @globus/sdk and a fake Globus, and to C
 * (PostgreSQL) by local copy. Then what needs real processes: a peer's API that goes away and
 * comes back, workers killed mid-batch, bytes damaged in transit, a fatal Globus fault, and
 * pausing a peer from the CLI.
 *
 * Outages at their real lengths (a peer down for 3 days, Globus answering 503 for 6 hours, the
 * 7-day give-up) are proven on the time-skipping server in test/workflows/cloneBatch.test.ts;
 * here the intervals are short (FAST_CLONE) and waits end on observable states.
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
import { lastAttempt, pendingActivity } from '../support/history';
import { connectPeers, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';
import { testTemporalClient } from '../support/temporalServer';

let temporal: Client;
let fake: FakeGlobus;
let a: LibrarianHandle;
let b: LibrarianHandle;
let c: LibrarianHandle;
const endpoints: Record<string, string> = {};

beforeAll(async () => {
  temporal = await testTemporalClient();
  fake = new FakeGlobus({ 'client-a': 'secret-a' }, endpoints);
  const url = await fake.start();
  const aEndpoint = randomUUID();
  const bEndpoint = randomUUID();
  [b, c] = await Promise.all([
    startLibrarian({
      name: `b-${randomUUID().slice(0, 6)}`,
      provider: 'sqlite',
      config: FAST_CLONE,
      // B offers Globus only, so A sends to it through Globus.
      stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store', transferMethods: { globus: { endpointId: bEndpoint, root: '.' } } }],
      separate: true,
    }),
    startLibrarian({ name: `c-${randomUUID().slice(0, 6)}`, provider: 'postgresql', config: FAST_CLONE }),
  ]);
  endpoints[bEndpoint] = b.dir;
  a = await startLibrarian({
    name: `a-${randomUUID().slice(0, 6)}`,
    provider: 'sqlite',
    config: {
      ...FAST_CLONE,
      globus: { enabled: true, clientId: 'client-a', clientSecret: 'secret-a', localEndpointId: aEndpoint, localRoot: '.', transferUrl: url, authUrl: url, pollInterval: '1s', requestTimeout: '2s' },
    },
    separate: true,
  });
  endpoints[aEndpoint] = a.dir;
  await connectPeers(a, b);
  await connectPeers(a, c);
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

async function remoteCount(lib: LibrarianHandle, peer: LibrarianHandle): Promise<number> {
  const svc = await lib.domain();
  const p = await svc.db.librarian.findUniqueOrThrow({ where: { name: peer.name } });
  return svc.db.remoteInstance.count({ where: { librarianId: p.id } });
}

async function sendOne(to: LibrarianHandle = b): Promise<string> {
  const r = await a.client().post<{ batch_ids: string[] }>('admin/clone/send', { peer: to.name });
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

type Explained = {
  instances: { store: string; available: boolean; verified_at: string | null; verified_same: boolean | null }[];
  peers: {
    peer: string;
    confirmed_at: string | null;
    why: string | null;
    transfers: { status: string; method: string | null; batch_id: string | null; failure_reason: string | null }[];
    batch: { workflow_id: string; phase: string | null; waiting_for: string; next_retry: string | null; web_ui: string } | null;
  }[];
  temporal_problem: string | null;
};

async function explain(name: string, peer: LibrarianHandle): Promise<Explained['peers'][number] & { instances: Explained['instances'] }> {
  const r = await a.cli(['explain', name, '--peer', peer.name, '--json']);
  expect(r.status).toBe(0);
  const e = r.json<Explained>();
  expect(e.peers).toHaveLength(1);
  return { ...e.peers[0]!, instances: e.instances };
}

test('205 files and books to C by local copy and to B through Globus: byte for byte, catalogued as at A, with transfer records', async () => {
  const files = await fill(a, { files: 200, books: 5 });
  await Promise.all([cloneAll(a, c, files.length), cloneAll(a, b, files.length)]);
  await expectCloned(a, c, files);
  await expectCloned(a, b, files);

  const svc = await a.domain();
  const local = await svc.db.transferRecord.findMany({ where: { destination: c.name } });
  expect(local.length).toBeGreaterThanOrEqual(Math.ceil(files.length / 64));
  expect(local.every((r) => r.transferMethod === 'local' && r.bytesTransferred > 0n && r.effectiveBandwidthBps > 0)).toBe(true);

  // One task per batch, one submission id per task, and one token for the whole run.
  const viaGlobus = await svc.db.transferRecord.findMany({ where: { destination: b.name } });
  expect(viaGlobus.length).toBe(fake.tasks.size);
  expect(viaGlobus.every((r) => r.transferMethod === 'globus' && fake.tasks.has(r.taskId) && r.bytesTransferred > 0n)).toBe(true);
  const submits = fake.requests.filter((r) => r.path === '/v0.10/transfer');
  expect(new Set(submits.map((r) => (r.body as { submission_id: string }).submission_id)).size).toBe(fake.tasks.size);
  expect(fake.count('POST', '/v2/oauth2/token')).toBe(1);
  expect(submits[0]!.body).toMatchObject({ source_endpoint: expect.any(String), destination_endpoint: expect.any(String), sync_level: 3, verify_checksum: true, encrypt_data: true });
  expect(await svc.transfers.outgoing.inFlightBatches()).toEqual([]);

  // The same records through the API and the CLI, newest first, with totals per peer and method.
  type History = { records: { batch_id: string; peer: string; method: string; files: number; bytes: number; ended: string }[]; totals: { peer: string; method: string; batches: number; files: number; bytes: number }[] };
  const history = (await a.cli(['clone', 'history', '--json', '--limit', '10000'])).json<History>();
  const all = [...local, ...viaGlobus];
  expect(history.records.map((r) => r.batch_id).sort()).toEqual(all.map((r) => r.batchId).sort());
  expect(history.records.map((r) => r.ended)).toEqual(history.records.map((r) => r.ended).sort().reverse());
  const bytesOf = (rows: typeof all) => rows.reduce((n, r) => n + Number(r.bytesTransferred), 0);
  expect(history.totals).toEqual(
    [
      { peer: b.name, method: 'globus', batches: viaGlobus.length, files: files.length, bytes: bytesOf(viaGlobus), seconds: expect.any(Number) },
      { peer: c.name, method: 'local', batches: local.length, files: files.length, bytes: bytesOf(local), seconds: expect.any(Number) },
    ].sort((x, y) => (x.peer < y.peer ? -1 : 1)),
  );
  const onlyB = (await a.cli(['clone', 'history', '--peer', b.name, '--json'])).json<History>();
  expect(new Set(onlyB.records.map((r) => r.peer))).toEqual(new Set([b.name]));
  expect((await a.cli(['clone', 'history'])).stdout).toMatch(new RegExp(`${c.name}\\s+local\\s+${local.length}\\s+${files.length}\\s`));

  // The metrics show the same, per peer and method, and nothing waiting.
  const scraped = await (await fetch(`${a.url}/metrics`)).text();
  expect(scraped).toContain(`librarian_transferred_files{peer="${b.name}",method="globus"} ${files.length}\n`);
  expect(scraped).toContain(`librarian_transferred_files{peer="${c.name}",method="local"} ${files.length}\n`);
  expect(scraped).toContain(`librarian_transferred_bytes{peer="${b.name}",method="globus"} ${bytesOf(viaGlobus)}\n`);
  expect(scraped).toContain(`librarian_peer_files_waiting{peer="${b.name}"} 0\n`);
  expect(scraped).toMatch(new RegExp(`librarian_transfer_bandwidth_bytes_per_second\\{peer="${c.name}",method="local"\\} [1-9]`));
  expect(scraped).toContain(`librarian_outgoing_transfers{peer="${b.name}",status="COMPLETED"} ${files.length}\n`);

  // Nothing new to send: another run starts nothing.
  expect(await a.client().post('admin/clone/send', { peer: c.name })).toMatchObject({ batches_started: 0 });
  expect(await a.client().post('admin/clone/send', { peer: b.name })).toMatchObject({ batches_started: 0 });
});

test("B's API down mid-batch: the batch retries and clone status says what it waits for; B back, the batch completes", async () => {
  fake.plan.hold = true;
  const files = await fill(a, { files: 10, books: 1, prefix: 'outage' });
  const batchId = await sendOne();
  await waitPhase(batchId, /^polling$/);
  await b.stopApi();
  try {
    await fake.succeed(heldTask());
    type Status = { batches: { workflow_id: string; phase: string; waiting_for: string; next_retry: string | null }[] };
    // Between two attempts, clone status names the step, its attempt and last error, and when it tries again.
    const status = await waitFor('clone status to show the retries against the absent B', async () => {
      const s = (await a.cli(['clone', 'status', '--peer', b.name, '--json'])).json<Status>();
      // The poll retried while the task was held, so wait for the step after it, not any retried step.
      return s.batches[0]?.phase === 'staged' && s.batches[0].next_retry && Number(/attempt (\d+)/.exec(s.batches[0].waiting_for)?.[1] ?? 0) >= 3 ? s : undefined;
    }, 60_000);
    expect(status.batches).toEqual([
      expect.objectContaining({ workflow_id: batchId, phase: 'staged', waiting_for: expect.stringMatching(/^setCloneStatusOnPeer \(attempt \d+: checkin\/update STAGED on .*: Cannot reach the Librarian/), next_retry: expect.any(String) }),
    ]);
    // explain says the same of one of its files, with the transfer and a Web UI link to the batch
    // (read between two attempts too: while an attempt runs there is no next retry to show).
    const stuck = await waitFor('explain to show the batch between two attempts', async () => {
      const e = await explain(files[0]!.name, b);
      return e.batch?.next_retry ? e : undefined;
    }, 60_000);
    expect(stuck).toMatchObject({
      confirmed_at: null,
      why: `on its way in ${batchId} (see that batch's phase and what it waits for)`,
      transfers: [{ status: expect.stringMatching(/^(ONGOING|STAGED)$/), method: 'globus', batch_id: batchId, failure_reason: null }],
      batch: { workflow_id: batchId, phase: 'staged', waiting_for: expect.stringMatching(/^setCloneStatusOnPeer \(attempt \d+: .*Cannot reach the Librarian/), next_retry: expect.any(String), web_ui: `${a.config.temporal.uiUrl}/namespaces/default/workflows/${encodeURIComponent(batchId)}` },
    });
    expect(stuck.instances).toEqual([expect.objectContaining({ store: 'main', available: true, verified_same: true })]);
  } finally {
    await b.startApi();
  }
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  await expectCloned(a, b, files);
  expect(await explain(files[0]!.name, b)).toMatchObject({ confirmed_at: expect.any(String), why: null, batch: null, transfers: [{ status: 'COMPLETED', batch_id: batchId }] });
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
  const svc = await a.domain();
  expect((await svc.db.outgoingTransfer.findMany({ where: { batchId } })).map((t) => t.status)).toEqual(['FAILED', 'FAILED', 'FAILED']);
  // The failure reason is shown, and why the file waits now.
  const failed = await explain(files[0]!.name, b);
  expect(failed).toMatchObject({ confirmed_at: null, batch: null, transfers: [{ status: 'FAILED', batch_id: batchId, failure_reason: expect.stringMatching(/PERMISSION_DENIED/) }] });
  expect(failed.why).toMatch(new RegExp(`^waiting for a send to ${b.name} \\(clone.every is 0: only on demand\\), or now with librarian clone send ${b.name} \\(its last transfer FAILED: .*PERMISSION_DENIED`));
  // With the fault gone, the files go in the next batch.
  fake.plan.faultCode = undefined;
  await cloneAll(a, b, (await remoteCount(a, b)) + files.length);
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
  const bSvc = await b.domain();
  const incoming = await waitFor('B to stage the big file', async () => (await bSvc.db.incomingTransfer.findFirst({ where: { storePath: 'big/zeros.bin' } })) ?? undefined, 60_000);
  const receiveId = `receive/${b.name}/${incoming!.id}`;
  await waitFor('B to be verifying', async () => (await pendingActivity(temporal, receiveId, 'verifyIncoming'))?.state === 'STARTED', 180_000, 100);
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
  await cloneAll(a, b, (await remoteCount(a, b)) + files.length);
  await expectCloned(a, b, files);
  const aSvc = await a.domain();
  const bSvc = await b.domain();
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
  expect((await a.cli(['peers', 'pause', b.name, '--json'])).json()).toMatchObject({ transfers_enabled: false, batches_signalled: 1 });
  await fake.succeed(heldTask());
  await waitFor('the batch to hold', async () => (await temporal.workflow.getHandle(batchId).query(batchStateQuery)).phase === 'staged', 30_000);
  expect(await temporal.workflow.getHandle(batchId).query(batchStateQuery)).toMatchObject({ paused: true, phase: 'staged' });
  expect((await pendingActivity(temporal, batchId, 'setCloneStatusOnPeer'))).toBeUndefined();
  const bSvc = await b.domain();
  expect(await bSvc.db.file.count({ where: { name: { startsWith: 'paused/' } } })).toBe(0);
  expect(await bSvc.db.incomingTransfer.count({ where: { storePath: { startsWith: 'paused/' }, status: 'ONGOING' } })).toBe(files.length);
  await fill(a, { files: 2, books: 0, prefix: 'paused-later' });
  expect(await a.client().post('admin/clone/send', { peer: b.name })).toMatchObject({ batches_started: 0, waiting: 'peer paused' });
  const held = (await a.cli(['clone', 'status', '--peer', b.name, '--json'])).json<{ peers: { name: string; in_flight_batches: number; waiting_files: number; waiting_reason: string | null }[] }>();
  expect(held.peers).toEqual([expect.objectContaining({ name: b.name, in_flight_batches: 1, waiting_files: 2, waiting_reason: 'peer paused' })]);
  expect(await explain('paused-later/files/f0000.dat', b)).toMatchObject({ why: `waiting: sending to ${b.name} is paused (librarian peers resume ${b.name})`, transfers: [], batch: null });
  expect((await a.cli(['peers', 'list', '--json'])).json<{ name: string; enabled: boolean }[]>()).toContainEqual(expect.objectContaining({ name: b.name, enabled: false }));
  expect((await a.cli(['peers', 'resume', b.name, '--json'])).json()).toMatchObject({ transfers_enabled: true, batches_signalled: 1 });
  expect(await batchDone(batchId)).toMatchObject({ outcome: 'done' });
  await expectCloned(a, b, files);
});

test('clone cancel stops a batch in flight: Globus task cancelled, files failed and offered again, B told; removing a peer cancels its batches first', async () => {
  fake.plan.hold = true;
  const files = await fill(a, { files: 4, books: 0, prefix: 'cancelled' });
  const batchId = await sendOne();
  await waitPhase(batchId, /^polling$/);
  const task = heldTask();
  const cancelled = await a.cli(['clone', 'cancel', batchId, '--json']);
  // The batch carries these files and any left waiting by earlier tests.
  const answer = cancelled.json<{ files_failed: number }>();
  expect([cancelled.status, answer]).toEqual([0, { batch_id: batchId, peer: b.name, files_failed: expect.any(Number) }]);
  expect(fake.tasks.get(task)).toMatchObject({ status: 'FAILED', fatal_error: { code: 'CANCELED' } });
  expect((await temporal.workflow.getHandle(batchId).describe()).status.name).toBe('CANCELLED');
  const svc = await a.domain();
  const rows = await svc.db.outgoingTransfer.findMany({ where: { batchId } });
  expect(rows.map((r) => r.fileName)).toEqual(expect.arrayContaining(files.map((f) => f.name)));
  expect(rows.map((r) => [r.status, r.failureReason])).toEqual(rows.map(() => ['FAILED', 'cancelled by an operator']));
  expect(answer.files_failed).toBe(rows.length);
  // B was told: its transfers for them failed, staging freed.
  const bSvc = await b.domain();
  await waitFor('B to fail its transfers', async () => (await bSvc.db.incomingTransfer.count({ where: { storePath: { startsWith: 'cancelled/' }, status: { notIn: ['FAILED', 'CANCELLED'] } } })) === 0, 30_000);
  expect(await explain(files[0]!.name, b)).toMatchObject({ batch: null, transfers: [{ status: 'FAILED', failure_reason: 'cancelled by an operator' }] });
  const again = await a.cli(['clone', 'cancel', batchId]);
  expect([again.status, again.stderr]).toEqual([1, expect.stringContaining(`Clone batch ${batchId} has already ended (cancelled).`)]);
  expect((await a.cli(['clone', 'cancel', 'clone/nobody/x-0'])).stderr).toContain('is not a clone batch of this Librarian');

  // The files go again; then a batch held in flight when B is removed is cancelled, not orphaned.
  const second = await sendOne();
  await waitPhase(second, /^polling$/);
  const unfinished = await svc.db.outgoingTransfer.count({ where: { destination: b.name, status: { in: ['INITIATED', 'ONGOING', 'STAGED'] } } });
  expect(unfinished).toBeGreaterThanOrEqual(files.length);
  const removed = await a.cli(['peers', 'remove', b.name, '--forget-copies', '--json']);
  expect([removed.status, removed.json()]).toEqual([0, expect.objectContaining({ success: true, batches_cancelled: 1, number_of_transfers_removed: unfinished })]);
  expect((await temporal.workflow.getHandle(second).describe()).status.name).toBe('CANCELLED');
  expect(await svc.db.outgoingTransfer.count({ where: { destination: b.name, status: { in: ['INITIATED', 'ONGOING', 'STAGED'] } } })).toBe(0);
  const twice = await a.cli(['peers', 'remove', b.name]);
  expect([twice.status, twice.stderr]).toEqual([1, expect.stringContaining(`Librarian "${b.name}" does not exist.`)]);
});
