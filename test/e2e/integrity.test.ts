/**
 * Keeping data safe over time, end to end with real processes: a store's audit, started from the
 * CLI and followed to its end, finds a flipped byte, a deleted file and data nobody catalogued;
 * the findings are reported over HTTP and the CLI; each store has its audit Schedule.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { fill } from '../support/clone';
import { closeChecksums, tmpDir } from '../support/data';
import { startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';
import { testTemporalClient } from '../support/temporalServer';

let temporal: Client;
let a: LibrarianHandle;

beforeAll(async () => {
  temporal = await testTemporalClient();
  a = await startLibrarian({ provider: 'postgresql', config: { audit: { reverifyAfter: 0 } } });
});

afterAll(async () => {
  await stopAllLibrarians();
  await temporal.connection.close();
  await closeChecksums();
});

interface Finding {
  kind: string;
  store_name: string;
  path: string;
  file_name: string | null;
  detail: string;
  count: number;
  resolved_at: string | null;
}

test('an audit run from the CLI finds a corrupt, a lost and a dark file; they are reported once and taken out of use', async () => {
  const files = await fill(a, { files: 6, books: 1, prefix: 'kept' });
  const root = path.join(a.dir, 'stores/main/store');
  const [flipped, deleted] = [files[0]!.name, files[1]!.name];
  const bytes = readFileSync(path.join(root, flipped));
  bytes[7] = bytes[7]! ^ 0x10;
  writeFileSync(path.join(root, flipped), bytes);
  renameSync(path.join(root, deleted), path.join(tmpDir(), 'gone.dat'));
  writeFileSync(path.join(root, 'kept', 'stray.bin'), 'nobody catalogued this');

  const run = await a.cli(['audit', 'run', '--store', 'main', '--json']);
  expect(run.status).toBe(0);
  expect(run.json()).toEqual([
    expect.objectContaining({ store_name: 'main', workflow_id: `audit/${a.name}/main`, running: false, phase: 'done', total: 7, checked: 7, good: 5, lost: 1, corrupt: 1, dark: 1, finished: true }),
  ]);

  const report = (await a.cli(['audit', 'report', '--json'])).json<Finding[]>();
  expect(report.map((f) => [f.kind, f.path, f.count]).sort()).toEqual([
    ['CORRUPT', flipped, 1],
    ['DARK', 'kept/stray.bin', 1],
    ['LOST', deleted, 1],
  ]);
  expect(report.find((f) => f.kind === 'LOST')).toMatchObject({ store_name: 'main', file_name: deleted, detail: `the data is missing from ${path.join(root, deleted)}`, resolved_at: null });
  expect((await a.client().post<{ findings: Finding[] }>('admin/audit/report', { kind: 'dark' })).findings.map((f) => f.path)).toEqual(['kept/stray.bin']);
  expect(readFileSync(path.join(root, 'kept', 'stray.bin'), 'utf8')).toBe('nobody catalogued this');

  // The damaged copies are out of use: search shows them unavailable, and a second audit finds nothing new.
  const found = await a.client().post<{ name: string; instances: { available: boolean }[] }[]>('search/file', { name: flipped });
  expect(found[0]!.instances.map((i) => i.available)).toEqual([false]);
  const again = (await a.cli(['audit', 'run', '--json'])).json<{ checked: number; lost: number; corrupt: number; dark: number }[]>();
  expect(again).toEqual([expect.objectContaining({ checked: 5, lost: 0, corrupt: 0, dark: 1 })]);
  const table = (await a.cli(['audit', 'report'])).stdout;
  expect(table).toMatch(new RegExp(`CORRUPT\\s+main\\s+${flipped.replace(/[./]/g, '\\$&')}`));
  expect((await a.cli(['audit', 'report', '--json'])).json<Finding[]>().find((f) => f.kind === 'DARK')!.count).toBe(2);

  // Their repairs started by themselves; with no other store and no peer, there is nothing to
  // repair from: said once (alerted), and shown by repair status.
  const settled = await waitFor('the repairs to end', async () => {
    const r = (await a.cli(['repair', 'status', '--json'])).json<{ file_name: string; kind: string; repair: string | null; running: boolean }[]>();
    return r.length === 2 && r.every((x) => x.repair && !x.running) && r;
  });
  expect(settled.map((x) => [x.kind, x.file_name, x.repair]).sort()).toEqual([
    ['CORRUPT', flipped, 'unrecoverable: no other copy is known (no other store or peer holds one)'],
    ['LOST', deleted, 'unrecoverable: no other copy is known (no other store or peer holds one)'],
  ]);
  const rerun = await a.cli(['repair', 'run', deleted, '--json']);
  expect(rerun.status).toBe(1);
  expect(rerun.json()).toEqual([{ instance_id: expect.any(Number), outcome: 'unrecoverable', detail: 'no other copy is known (no other store or peer holds one)' }]);
});

test("each store has its audit Schedule, at the configured cadence", async () => {
  const d = await temporal.schedule.getHandle(`audit-schedule/${a.name}/main`).describe();
  expect(d.spec.intervals).toEqual([expect.objectContaining({ every: 86_400_000 })]);
  expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledAudit', args: [expect.objectContaining({ store: 'main', auditWorkflowId: `audit/${a.name}/main`, bytesPerSecond: 100 * 1024 ** 2 })] });
});
