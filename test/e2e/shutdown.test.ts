/**
 * SIGTERM to the separate processes of a production site (`server start`, `worker start`) on
 * PostgreSQL, with work in flight:
 *
 * - the API, while a commit is verified and an upload's data is arriving: new connections are
 *   refused at once; the requests under way finish (the commit with its verdict, the data with
 *   its answer); a request arriving on a connection that was already open is answered 503 with
 *   the usual error body and `Connection: close` (GET /readyz: 503 "shutting down"); the process
 *   exits 0;
 * - the worker, while it hashes: it stops polling, the running activity finishes (its one
 *   attempt completes, nothing is retried), the process exits 0, and the next step waits for a
 *   worker (none is started), which then finishes the upload.
 *
 * The worker is paused (SIGSTOP) while the API stops, so the commit is certainly still running
 * when the requests during the stop are made, however fast the machine hashes; it is resumed
 * (SIGCONT) within a second or two, far inside the heartbeat timeout.
 */
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { checksumOf, closeChecksums, tmpDir } from '../support/data';
import { activityStarted, lastAttempt } from '../support/history';
import { startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';
import { testTemporalClient } from '../support/temporalServer';
import { stageZeros, type StagedZeros, zerosChecksum } from '../support/zeros';

const SIZE = 2 * 1024 ** 3;

let temporal: Client;
let zeros: { checksum: string; size: number };
let lib: LibrarianHandle;

beforeAll(async () => {
  temporal = await testTemporalClient();
  zeros = await zerosChecksum(SIZE);
  lib = await startLibrarian({ provider: 'postgresql', separate: true, config: { checksums: { threads: 1 } } });
});
afterAll(async () => {
  await stopAllLibrarians();
  await temporal.connection.close();
  await closeChecksums();
});

/** What the history says of an activity type's attempts: how each ended ('completed', 'failed'...). */
async function activityOutcomes(workflowId: string, activity: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Set<string>();
  const out: string[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s && s.activityType?.name === activity) scheduled.add(String(e.eventId));
    const ended = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
    if (ended && scheduled.has(String(ended.scheduledEventId))) {
      out.push(e.activityTaskCompletedEventAttributes ? 'completed' : e.activityTaskFailedEventAttributes ? 'failed' : e.activityTaskTimedOutEventAttributes ? 'timed out' : 'cancelled');
    }
  }
  return out;
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: unknown;
}

/** One request on `agent` (a single kept-alive connection); `body` written in parts, the second when `more` resolves. */
function request(agent: http.Agent, method: string, url: string, opts: { headers?: Record<string, string>; body?: [string, string?]; more?: Promise<void> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: opts.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    const [first = '', second] = opts.body ?? [];
    req.flushHeaders();
    if (first) req.write(first);
    if (second === undefined) req.end();
    else void opts.more!.then(() => req.end(second));
  });
}

/** Whether a new connection to the API is refused. */
function refused(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'GET', agent: false }, (res) => {
      res.resume();
      resolve(false);
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
    req.end();
  });
}

test('SIGTERM to the API with a commit and a data upload in flight: both finish, new connections are refused, a request on an open connection gets 503 with the error body, exit 0', async () => {
  const api = `${lib.url}/api/v2`;
  const auth = `Basic ${Buffer.from(`${lib.admin.username}:${lib.admin.password}`).toString('base64')}`;
  const svc = await lib.domain();
  // A small upload staged (staging needs the worker, paused below).
  const data = Buffer.from('0123456789');
  const small = await lib.client().post<StagedZeros>('upload/stage', { upload_size: data.length, upload_checksum: (await checksumOfBuffer(data)).checksum, upload_name: 'small.txt', destination_location: 'stop/small.txt' });
  // A commit whose verification runs (its client waits for the verdict).
  const x = await stageZeros(lib, 'stop/api.bin', zeros);
  const commit = lib.client().post<{ success: boolean; file_name: string }>('upload/commit', { transfer_id: x.transfer_id }, 600_000);
  commit.catch(() => undefined); // awaited below; not an unhandled rejection if an assertion fails first
  await activityStarted(temporal, `upload/${lib.name}/stop/api.bin`, 'verifyAndCommitUpload');
  const worker = lib.pid('worker')!;
  process.kill(worker, 'SIGSTOP');
  let resumed = false;
  const resume = () => {
    if (!resumed) process.kill(worker, 'SIGCONT');
    resumed = true;
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // The data of a small upload, half sent: the request is in its handler once it holds the transfer.
    let sendRest!: () => void;
    const rest = new Promise<void>((r) => (sendRest = r));
    const uploading = request(agent, 'PUT', `${api}/upload/${small.transfer_id}/data`, {
      headers: { Authorization: auth, 'Content-Type': 'application/octet-stream', 'Content-Length': String(data.length) },
      body: [data.subarray(0, 5).toString(), data.subarray(5).toString()],
      more: rest,
    });
    await waitFor('the data request to hold its transfer', async () => (await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: small.transfer_id } })).receivingUntil !== null, 30_000, 50);

    const apiExit = lib.stopApi('SIGTERM');
    // The listening socket closes at once: a new connection is refused.
    await waitFor('a new connection to be refused', () => refused(`${api}/ping/`), 30_000, 50);
    // The requests under way go on: the data upload finishes and is answered.
    sendRest();
    expect(await uploading).toEqual({ status: 200, connection: 'keep-alive', body: { transfer_id: small.transfer_id, received_bytes: 10, upload_size: 10, complete: true } });
    // On the connection it kept open: not ready, and nothing new is taken (503, the error body).
    expect(await request(agent, 'GET', `${lib.url}/readyz`)).toEqual({
      status: 503,
      connection: 'keep-alive',
      body: { ready: false, reason: 'This process is shutting down.', suggested_remedy: 'Send requests to another instance; this one stops once work under way ends.' },
    });
    expect(await request(agent, 'POST', `${api}/ping/`, { headers: { 'Content-Type': 'application/json' }, body: ['{}'] })).toEqual({
      status: 503,
      connection: 'close',
      body: {
        reason: 'This Librarian is stopping.',
        suggested_remedy: 'Send the request again once it is back (usually within a minute); work it had started carries on then, and asking again gives its outcome.',
      },
    });
    // The commit under way ends with its verdict once the worker goes on; then the API exits 0.
    resume();
    await expect(commit).resolves.toMatchObject({ success: true, file_name: 'stop/api.bin' });
    expect(await apiExit).toEqual({ code: 0, signal: null });
  } finally {
    resume();
    agent.destroy();
  }
  expect(await svc.db.file.findUnique({ where: { name: 'stop/api.bin' } })).toMatchObject({ size: BigInt(SIZE), checksum: zeros.checksum });
  const log = lib.logOf('server');
  expect(log).toMatch(/"signal":"SIGTERM".*"msg":"stopping API"/);
  expect(log).not.toContain('cut short');
  expect(log).not.toContain('Channel has been shut down');
});

test('SIGTERM to the worker while it hashes: it stops polling, the running step completes (not retried), exit 0; the next worker finishes the upload', async () => {
  await lib.startApi();
  const y = await stageZeros(lib, 'stop/worker.bin', zeros);
  const wf = `upload/${lib.name}/stop/worker.bin`;
  const commit = lib.client().post<{ success: boolean; file_name: string }>('upload/commit', { transfer_id: y.transfer_id }, 600_000);
  commit.catch(() => undefined); // awaited below; not an unhandled rejection if an assertion fails first
  await activityStarted(temporal, wf, 'verifyAndCommitUpload');
  expect(await lib.stopWorker('SIGTERM')).toEqual({ code: 0, signal: null });
  // Drained: the step's one attempt (verify, then commit) completed; the verdict waits for a worker.
  expect(await activityOutcomes(wf, 'verifyAndCommitUpload')).toEqual(['completed']);
  expect(await lastAttempt(temporal, wf, 'verifyAndCommitUpload')).toBe(1);
  expect(await (await lib.domain()).db.file.findUnique({ where: { name: 'stop/worker.bin' } })).toMatchObject({ size: BigInt(SIZE) });
  const log = lib.logOf('worker');
  expect(log).toMatch(/"reason":"SIGTERM".*"msg":"stopping worker"/);
  expect(log).not.toContain('Channel has been shut down');
  await lib.startWorker();
  await expect(commit).resolves.toMatchObject({ success: true, file_name: 'stop/worker.bin' });
});

/** The checksum of these bytes, as a client computes it (the server's default algorithm). */
async function checksumOfBuffer(b: Buffer): Promise<{ checksum: string }> {
  const file = path.join(tmpDir('shutdown-'), 'small.txt');
  writeFileSync(file, b);
  return checksumOf(file);
}
