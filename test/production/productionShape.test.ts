/**
 * The Librarian in production shape, without containers: a real Temporal server (not the dev
 * server) on PostgreSQL, set up with deploy/temporal as an operator would and requiring mutual
 * TLS (so every Librarian process connects with temporal.tls); catalogs on
 * PostgreSQL; site A with two API processes (two URLs, used alternately) and two worker
 * processes, site B with one of each; every process started by its `librarian` command and
 * waited for through its health endpoint. Through it: uploads, a Temporal restart in the middle of
 * an upload, and a clone batch to B whose worker is killed mid-batch while the other finishes it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { uploadPath } from '../../src/client/upload';
import { LibrarianClient } from '../../src/protocol/client';
import * as uploads from '../../src/protocol/uploads';
import { batchStateQuery } from '../../src/workflows/cloneBatch';
import { expectCloned, FAST_CLONE, fill } from '../support/clone';
import { checksumOf, closeChecksums, makeFile, tmpDir } from '../support/data';
import { FakeGlobus } from '../support/fakeGlobus';
import { recordHistories } from '../support/histories';
import { runCli } from '../support/cli';
import { apiError } from '../support/http';
import { connectPeers, prepareLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { freePorts, waitFor } from '../support/ports';
import { startTemporalCluster, type TemporalCluster } from '../support/temporalCluster';
import { ROOT } from '../support/temporalServer';

const NAMESPACE = 'librarian-production';

/** One `librarian <command>` process with its own log and health URL. */
class Proc {
  child?: ChildProcess;
  constructor(
    readonly lib: LibrarianHandle,
    readonly role: string,
    readonly args: string[],
    readonly env: Record<string, string>,
    /** Where its GET /readyz answers. */
    readonly healthUrl: string,
  ) {}

  get log(): string {
    return readFileSync(path.join(this.lib.dir, `${this.role}.log`), 'utf8');
  }

  async start(): Promise<void> {
    const out = openSync(path.join(this.lib.dir, `${this.role}.log`), 'a');
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), ...this.args, '--config', this.lib.configPath], { env: { ...process.env, LIBRARIAN_CONFIG: undefined, ...this.env }, stdio: ['ignore', out, out] });
    this.child = child;
    await this.ready(child);
  }

  /** Until GET /readyz answers 200 (for a worker: polling, with the catalog and Temporal answering). */
  async ready(child = this.child!): Promise<void> {
    await waitFor(
      `${this.role} of ${this.lib.name} ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${this.role} exited with ${child.exitCode}:\n${this.log.slice(-3000)}`);
        return (await fetch(`${this.healthUrl}/readyz`).catch(() => undefined))?.status === 200;
      },
      120_000,
      250,
    );
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }
}

let cluster: TemporalCluster;
let temporal: Client;
let fake: FakeGlobus;
let a: LibrarianHandle;
let b: LibrarianHandle;
const procs: Proc[] = [];
let aApis: Proc[];
let aWorkers: Proc[];
let bWorker: Proc;
const endpoints: Record<string, string> = {};

async function site(lib: LibrarianHandle, apis: number, workers: number): Promise<{ apis: Proc[]; workers: Proc[] }> {
  const ports = await freePorts(apis - 1 + workers);
  const apiPort = Number(new URL(lib.url).port);
  const apiProcs = Array.from({ length: apis }, (_, i) => {
    const port = i === 0 ? apiPort : ports.shift()!;
    return new Proc(lib, `api-${i + 1}`, ['server', 'start'], { LIBRARIAN_API__PORT: String(port) }, `http://127.0.0.1:${port}`);
  });
  const workerProcs = Array.from({ length: workers }, (_, i) => {
    const port = ports.shift()!;
    return new Proc(lib, `worker-${i + 1}`, ['worker', 'start'], { LIBRARIAN_WORKER__HEALTH_PORT: String(port) }, `http://127.0.0.1:${port}`);
  });
  procs.push(...apiProcs, ...workerProcs);
  await Promise.all([...apiProcs, ...workerProcs].map((p) => p.start()));
  return { apis: apiProcs, workers: workerProcs };
}

function clientOf(api: Proc, lib: LibrarianHandle): LibrarianClient {
  return new LibrarianClient({ url: api.healthUrl, username: lib.admin.username, password: lib.admin.password, timeoutMs: 120_000 });
}

beforeAll(async () => {
  cluster = await startTemporalCluster({ tls: true });
  temporal = new Client({ connection: await cluster.connect(), namespace: NAMESPACE });
  fake = new FakeGlobus({ 'client-a': 'secret-a' }, endpoints);
  const url = await fake.start();
  const aEndpoint = randomUUID();
  const bEndpoint = randomUUID();
  const common = { ...FAST_CLONE, temporal: { address: cluster.address, namespace: NAMESPACE, tls: cluster.tls } };
  b = await prepareLibrarian({
    name: `pb-${randomUUID().slice(0, 6)}`,
    provider: 'postgresql',
    config: common,
    stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store', transferMethods: { globus: { endpointId: bEndpoint, root: '.' } } }],
  });
  a = await prepareLibrarian({
    name: `pa-${randomUUID().slice(0, 6)}`,
    provider: 'postgresql',
    config: {
      ...common,
      globus: { enabled: true, clientId: 'client-a', clientSecret: 'secret-a', localEndpointId: aEndpoint, localRoot: '.', transferUrl: url, authUrl: url, pollInterval: '1s', requestTimeout: '2s' },
    },
  });
  endpoints[aEndpoint] = a.dir;
  endpoints[bEndpoint] = b.dir;
  const [sa, sb] = await Promise.all([site(a, 2, 2), site(b, 1, 1)]);
  aApis = sa.apis;
  aWorkers = sa.workers;
  bWorker = sb.workers[0]!;
  await connectPeers(a, b);
}, 900_000);

afterAll(async () => {
  if (temporal) await recordHistories(temporal, cluster);
  await Promise.all(procs.map((p) => p.stop('SIGTERM')));
  await stopAllLibrarians();
  await fake?.stop();
  await temporal?.connection.close();
  await cluster?.stop();
  await closeChecksums();
});

test('setup created the namespace with its retention on the production cluster, and every process is ready', async () => {
  // The cluster takes no connection without a client certificate from its CA: the Librarian's
  // processes are connected, so they used temporal.tls.
  const plain = Connection.connect({ address: cluster.address, connectTimeout: '2s' }).then((c) => c.workflowService.getSystemInfo({}).finally(() => c.close()));
  await expect(plain).rejects.toThrow();
  const noClientCert = Connection.connect({ address: cluster.address, connectTimeout: '2s', tls: { serverNameOverride: 'localhost', serverRootCACertificate: readFileSync(cluster.tls!.caFile) } }).then((c) => c.workflowService.getSystemInfo({}).finally(() => c.close()));
  await expect(noClientCert).rejects.toThrow();

  const ns = await temporal.connection.workflowService.describeNamespace({ namespace: NAMESPACE });
  expect(Number(ns.config?.workflowExecutionRetentionTtl?.seconds)).toBe(30 * 86_400);
  const attributes = await temporal.connection.operatorService.listSearchAttributes({ namespace: NAMESPACE });
  expect(Object.keys(attributes.customAttributes ?? {})).toEqual(expect.arrayContaining(['Librarian', 'LibrarianPhase', 'LibrarianPeer', 'LibrarianFile']));
  for (const p of procs) {
    const r = await fetch(`${p.healthUrl}/readyz`);
    expect([p.role, r.status, await r.json()]).toEqual([p.role, 200, expect.objectContaining({ ready: true, catalog: { ok: true }, temporal: { ok: true } })]);
  }
});

test('uploads through either API process, by HTTP and by copy, are catalogued once with the bytes on disk', async () => {
  const data = tmpDir();
  const files = [makeFile(path.join(data, 'one.bin'), 3_000_000), makeFile(path.join(data, 'two.bin'), 1_000_000)];
  const done = await Promise.all([
    uploadPath(clientOf(aApis[0]!, a), files[0]!, 'prod/one.bin', { via: 'http', uploader: 'pipeline' }),
    uploadPath(clientOf(aApis[1]!, a), files[1]!, 'prod/two.bin', { via: 'copy', uploader: 'pipeline' }),
  ]);
  const svc = await a.domain();
  for (const [i, name] of ['prod/one.bin', 'prod/two.bin'].entries()) {
    const expected = await checksumOf(files[i]!);
    expect(done[i]).toMatchObject({ file_name: name, checksum: expected.checksum, size: expected.size });
    const row = await svc.db.file.findUniqueOrThrow({ where: { name }, include: { instances: true } });
    expect({ size: row.size, checksum: row.checksum, uploader: row.uploader, instances: row.instances.length }).toEqual({ size: BigInt(expected.size), checksum: expected.checksum, uploader: 'pipeline', instances: 1 });
    expect(readFileSync(path.join(a.dir, 'stores/main/store', name))).toEqual(readFileSync(files[i]!));
  }
});

test('Temporal restarted in the middle of an upload: refused with 503 while it is down, then the same upload commits', async () => {
  const file = makeFile(path.join(tmpDir(), 'restart.bin'), 2_000_000);
  const { checksum, size } = await checksumOf(file);
  const client = clientOf(aApis[1]!, a);
  const staged = await client.call(uploads.stage, { upload_size: size, upload_checksum: checksum, upload_name: 'restart.bin', destination_location: 'prod/restart.bin', uploader: 'pipeline' });
  const svc = await a.domain();
  const transfer = await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: staged.transfer_id } });
  const runBefore = (await temporal.workflow.getHandle(transfer.workflowId!).describe()).runId;
  // Before an upgrade: this build's workflow code replays the running workflows (the CLI reaches
  // the cluster with the configuration's mutual TLS).
  const replay = await runCli(['workflows', 'replay', '--config', a.configPath, '--json'], { env: { LIBRARIAN_CLIENT_CONFIG: path.join(a.dir, 'no-connections.json'), LIBRARIAN_CONNECTION: undefined } });
  expect([replay.status, replay.stderr]).toEqual([0, '']);
  expect(replay.json()).toEqual({ running: expect.any(Number), failed: 0, workflows: expect.arrayContaining([{ workflow_id: transfer.workflowId, run_id: runBefore, error: null }]) });

  await cluster.stop();
  // The bytes go to the API (the catalog holds the transfer); committing needs Temporal.
  await client.put(`upload/${staged.transfer_id}/data`, (async function* () {
    yield readFileSync(file);
  })(), { 'Content-Type': 'application/octet-stream', 'Upload-Offset': '0' });
  const refused = await apiError(client.call(uploads.commit, { transfer_id: staged.transfer_id, deletion_policy: 'disallowed' }));
  expect([refused.status, refused.reason]).toEqual([503, expect.stringMatching(/^Temporal at 127\.0\.0\.1:\d+ cannot be reached/)]);
  const down = await fetch(`${aApis[0]!.healthUrl}/readyz`);
  expect([down.status, await down.json()]).toEqual([503, expect.objectContaining({ ready: false, catalog: { ok: true }, temporal: { ok: false } })]);

  await cluster.start();
  await Promise.all(procs.map((p) => p.ready()));
  const committed = await client.call(uploads.commit, { transfer_id: staged.transfer_id, deletion_policy: 'disallowed' });
  expect(committed).toMatchObject({ success: true, transfer_id: staged.transfer_id, file_name: 'prod/restart.bin' });
  // The workflow started before the restart is the one that finished it.
  const after = await temporal.workflow.getHandle(transfer.workflowId!).describe();
  expect([after.runId, after.status.name]).toEqual([runBefore, 'COMPLETED']);
  expect(await svc.db.file.findUniqueOrThrow({ where: { name: 'prod/restart.bin' } })).toMatchObject({ checksum, size: BigInt(size) });
  expect(readFileSync(path.join(a.dir, 'stores/main/store/prod/restart.bin'))).toEqual(readFileSync(file));
  expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: staged.transfer_id } })).toMatchObject({ status: 'COMPLETED' });
}, 300_000);

/** Identities of the workers that completed the workflow's tasks, in order. */
async function workflowTaskWorkers(workflowId: string): Promise<string[]> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.workflowTaskCompletedEventAttributes ? [e.workflowTaskCompletedEventAttributes.identity ?? ''] : []));
}

test("a worker killed mid-batch: A's other worker finishes the clone to B, one Globus task, every file at B once", async () => {
  fake.plan = { delayMs: 200, hold: true };
  const files = await fill(a, { files: 12, books: 1, prefix: 'prod-clone' });
  const tasksBefore = fake.tasks.size;
  const sent = await clientOf(aApis[0]!, a).post<{ batch_ids: string[] }>('admin/clone/send', { peer: b.name });
  expect(sent.batch_ids).toHaveLength(1);
  const batchId = sent.batch_ids[0]!;
  await waitFor(`batch ${batchId} polling Globus`, async () => (await temporal.workflow.getHandle(batchId).query(batchStateQuery)).phase === 'polling', 120_000, 200);

  // Kill the worker holding the batch (the one that ran its last workflow task), with SIGKILL.
  const ran = await workflowTaskWorkers(batchId);
  const holder = aWorkers.find((w) => ran[ran.length - 1]!.startsWith(`${w.pid}@`));
  expect(holder).toBeDefined();
  const survivor = aWorkers.find((w) => w !== holder)!;
  await holder!.stop('SIGKILL');

  const held = [...fake.tasks.values()].filter((t) => t.status === 'ACTIVE');
  expect(held).toHaveLength(1);
  await fake.succeed(held[0]!.task_id);
  expect(await temporal.workflow.getHandle(batchId).result()).toMatchObject({ outcome: 'done' });
  expect(fake.tasks.size - tasksBefore).toBe(1);
  const after = await workflowTaskWorkers(batchId);
  expect(after.slice(ran.length).length).toBeGreaterThan(0);
  expect(after.slice(ran.length).every((id) => id.startsWith(`${survivor.pid}@`))).toBe(true);

  await expectCloned(a, b, files);
  const bSvc = await b.domain();
  expect(await bSvc.db.file.count({ where: { name: { startsWith: 'prod-clone/' } } })).toBe(files.length);
  expect(await bSvc.db.incomingTransfer.count({ where: { storePath: { startsWith: 'prod-clone/' }, status: 'COMPLETED' } })).toBe(files.length);
  expect(bWorker.log).not.toMatch(/"level":50/);

  // Restarted, the killed worker is ready again.
  await holder!.start();
}, 300_000);
