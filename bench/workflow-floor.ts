/**
 * What a workflow per upload costs before the Librarian does any work of its own: the CPU of the
 * Temporal dev server and of one Node process (Temporal client and worker, as `librarian start`
 * is API and worker) per upload, 16 in flight, in the shapes an upload can take:
 *   - `upload`: the Librarian's upload workflow, started and driven as the API does
 *     (update-with-start of the stage, then the commit update), with its two activities (stage,
 *     verify-and-commit) replaced by functions that return at once: no HTTP, catalog or files;
 *   - `twoUpdatesTwoActivities`: the least an upload can be when its side effects run in
 *     activities: a stage update and a commit update, each running one (no-op) activity; no
 *     search attribute, no timer;
 *   - `twoUpdates`: the same without activities (for scale: side effects outside activities are
 *     not retried by Temporal).
 * Against bench/ingest.ts, which does the same uploads with the Librarian's work in them
 * (docs/benchmarks.md, "What the workflow alone costs").
 *   npx tsx bench/workflow-floor.ts [--uploads 1000] [--concurrency 16] [--shapes upload,twoUpdatesTwoActivities,twoUpdates]
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client, Connection, WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { NativeConnection, Runtime, DefaultLogger, Worker } from '@temporalio/worker';
import { FILE_NAME, LIBRARIAN } from '../src/workflows/searchAttributes';
import { commitUpdate, stageUpdate } from '../src/workflows/upload';
import { machine, startInfrastructure } from './common';
import { commit, stage } from './floor/workflows';
import { cpuSeconds, pidsMatching } from './procstat';

async function main() {
  const { values } = parseArgs({
    options: { uploads: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '16' }, shapes: { type: 'string', default: 'upload,twoUpdatesTwoActivities,twoUpdates' } },
  });
  const count = Number(values.uploads);
  const concurrency = Number(values.concurrency);
  const shapes = values.shapes!.split(',');
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const stop = await startInfrastructure(false);
  const address = process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS!;
  const port = address.split(':').pop();
  const temporalPids = pidsMatching(new RegExp(`start-dev .*--port ${port}\\b`)).filter((p) => !/start-dev\.sh/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
  const temporalCpu = () => temporalPids.reduce((s, p) => s + cpuSeconds(p), 0);
  const ownCpu = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };

  const taskQueue = `floor-${randomUUID()}`;
  let transferId = 0;
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    workflowsPath: path.join(__dirname, 'floor/workflows.ts'),
    activities: {
      async stageUpload(req: { destination: string; uploadName: string }) {
        const id = ++transferId;
        return { transferId: id, storeId: 1, storeName: 'store', stagingName: `s${id}`, stagingDir: '/tmp', stagingLocation: `/tmp/s${id}/${req.uploadName}`, uploadName: req.uploadName, destination: req.destination, availableBytes: 1e12, transferMethods: {}, supersededTransferIds: [] };
      },
      async verifyAndCommitUpload(id: number) {
        return { ok: true, result: { fileName: `f${id}`, instanceId: id, storeId: 1, storeName: 'store', path: `/tmp/f${id}` } };
      },
    },
  });
  const running = worker.run();
  const client = new Client({ connection: await Connection.connect({ address }) });

  const upload = async (shape: string, i: number, run: string) => {
    const name = `bench/${run}/f${String(i).padStart(5, '0')}.bin`;
    if (shape === 'upload') {
      const start = new WithStartWorkflowOperation('upload', {
        workflowId: `upload/floor/${name}`,
        taskQueue,
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        args: [{ destination: name, stagingTimeoutMs: 3_600_000, heartbeatTimeoutMs: 60_000 }],
        typedSearchAttributes: [
          { key: LIBRARIAN, value: 'floor' },
          { key: FILE_NAME, value: name },
        ],
      });
      const staged = await client.workflow.executeUpdateWithStart(stageUpdate, {
        args: [{ uploadSize: 1_000_000, uploadChecksum: 'xxh3:0', uploadName: path.basename(name), uploader: 'bench', createdBy: 'bench', createdByAdmin: false }],
        startWorkflowOperation: start,
      });
      await client.workflow.getHandle(`upload/floor/${name}`).executeUpdate(commitUpdate, { args: [{ transferId: staged.transferId, deletionPolicy: 'DISALLOWED' }] });
    } else {
      const start = new WithStartWorkflowOperation(shape, { workflowId: `floor/${name}`, taskQueue, workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING, args: [] });
      const n = await client.workflow.executeUpdateWithStart(stage, { args: [i], startWorkflowOperation: start });
      await client.workflow.getHandle(`floor/${name}`).executeUpdate(commit, { args: [n] });
    }
  };

  const lines: string[] = [];
  try {
    for (const shape of shapes) {
      // A short warm-up, so the bundle's first workflows and the connections' set-up are not counted.
      const warmRun = randomUUID();
      for (let i = 0; i < 20; i++) await upload(shape, i, warmRun);
      const run = randomUUID();
      const cpu0 = { own: ownCpu(), temporal: temporalCpu() };
      let next = 0;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) await upload(shape, next++, run);
        }),
      );
      const seconds = (Date.now() - t0) / 1000;
      const own = ((ownCpu() - cpu0.own) / count) * 1000;
      const temporal = ((temporalCpu() - cpu0.temporal) / count) * 1000;
      lines.push(`| ${shape} | ${count} | ${concurrency} | ${seconds.toFixed(1)} | ${(count / seconds).toFixed(1)} | ${own.toFixed(0)} | ${temporal.toFixed(0)} | ${(own + temporal).toFixed(0)} |`);
    }
  } finally {
    worker.shutdown();
    await running;
    await stop();
  }
  console.log(`A workflow per upload with no Librarian work in it (${machine()}); client and worker in one process, Temporal dev server (in-memory SQLite, as bench/ingest.ts) on the same machine.\n`);
  console.log('| shape | uploads | in flight | seconds | uploads/s | CPU ms/upload, client + worker | CPU ms/upload, Temporal | CPU ms/upload, both |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const l of lines) console.log(l);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
