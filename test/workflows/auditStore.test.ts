/**
 * A store's audit (src/workflows/auditStore.ts) on the time-skipping test server, at the
 * production pace (audit.bytesPerSecond, 100 MiB/s): 100 GiB take at least 1024 s of workflow
 * time however fast the disk hashes, and a chunk cut short by a crash is retried and carries on
 * with what is still due instead of starting again.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { auditSettings } from '../../src/flows/audit';
import { auditProgressQuery, type auditStore } from '../../src/workflows/auditStore';
import { productionConfig, withWorker, workflowEnv, type FakeActivities } from '../support/workflows';

jest.setTimeout(5 * 60_000);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await workflowEnv();
});
afterAll(() => env?.teardown());

const GiB = 1024 ** 3;
const settings = auditSettings(productionConfig(), 'main');

/** A store of `n` instances of 1 GiB, all due; verifying one takes it out of the due set. */
function fakeStore(n: number, opts: { crashOnce?: boolean; corrupt?: number[] } = {}) {
  const due = Array.from({ length: n }, (_, i) => i);
  const hashed = new Map<number, number>();
  const chunks: { at: number; bytes: number; elapsedMs: number }[] = [];
  const events: string[] = [];
  let crashed = false;
  const activities: FakeActivities = {
    async planAudit() {
      return { store: 'main', mounted: true, instances: due.length, bytes: due.length * GiB };
    },
    async auditChunk(_store: string, _cutoffMs: number, maxBytes: number) {
      const at = await env.currentTimeMs();
      let bytes = 0;
      let checked = 0;
      let corrupt = 0;
      while (due.length && (checked === 0 || bytes + GiB <= maxBytes)) {
        // A worker killed while hashing the second file of its second chunk: that file is not verified.
        if (opts.crashOnce && !crashed && chunks.length === 1 && checked === 1) {
          crashed = true;
          throw ApplicationFailure.retryable('worker lost', 'Crash');
        }
        const i = due.shift()!;
        hashed.set(i, (hashed.get(i) ?? 0) + 1);
        if (opts.corrupt?.includes(i)) corrupt++;
        bytes += GiB;
        checked++;
      }
      // A disk far faster than the pace: the hashing takes no time, the workflow's pauses do it all.
      const r = { checked, bytes, good: checked - corrupt, lost: 0, corrupt, more: due.length > 0, elapsedMs: 0, mounted: true };
      chunks.push({ at, bytes, elapsedMs: r.elapsedMs });
      events.push(`chunk ${chunks.length}${corrupt ? ` (${corrupt} corrupt)` : ''}`);
      return r;
    },
    async startAwaitingRepairs() {
      events.push('start repairs');
      return { started: [] };
    },
    async auditDark() {
      return { mounted: true, dark: ['stray'] };
    },
  };
  return { activities, hashed, chunks, events };
}

test('100 GiB at 100 MiB/s: each chunk is followed by the pause that keeps the pace, whatever the disk does', async () => {
  const s = fakeStore(100);
  const r = await withWorker(env, s.activities, (taskQueue) => env.client.workflow.execute<typeof auditStore>('auditStore', { taskQueue, workflowId: 'audit/wf/main', args: [settings] }));
  expect(r).toEqual({ store: 'main', phase: 'done', total: 100, totalBytes: 100 * GiB, checked: 100, bytes: 100 * GiB, good: 100, lost: 0, corrupt: 0, dark: 1, skipped: null, finished: true });
  // About a minute's work per chunk: 6000 MiB, i.e. 5 files of 1 GiB.
  expect(s.chunks.map((c) => c.bytes / GiB)).toEqual(Array(20).fill(5));
  for (let i = 1; i < s.chunks.length; i++) {
    const prev = s.chunks[i - 1]!;
    const gap = s.chunks[i]!.at - prev.at;
    expect(gap).toBeGreaterThanOrEqual((prev.bytes / settings.bytesPerSecond) * 1000);
  }
  const span = s.chunks[s.chunks.length - 1]!.at - s.chunks[0]!.at;
  const hashedBeforeLast = 95 * GiB;
  console.log(`audit of 100 GiB: ${(span / 1000).toFixed(0)} s of workflow time between the first and the last chunk (pace ${((hashedBeforeLast / span) * 1000 / 1024 ** 2).toFixed(1)} MiB/s)`);
  expect((hashedBeforeLast / span) * 1000).toBeLessThanOrEqual(settings.bytesPerSecond * 1.001);
  expect([...s.hashed.values()].every((n) => n === 1)).toBe(true);
});

test('a chunk cut short by a crash is retried and carries on: nothing is hashed twice, nothing skipped', async () => {
  const s = fakeStore(12, { crashOnce: true });
  await withWorker(env, s.activities, async (taskQueue) => {
    const handle = await env.client.workflow.start<typeof auditStore>('auditStore', { taskQueue, workflowId: 'audit/wf/crash', args: [settings] });
    const r = await handle.result();
    expect(r).toMatchObject({ phase: 'done', total: 12, checked: 11, finished: true });
    expect(await handle.query(auditProgressQuery)).toMatchObject({ finished: true });
  });
  // The crashed attempt verified one file (its record is in the catalog, not in the attempt's
  // answer): the retry goes on from the next, so every file is hashed exactly once.
  expect([...s.hashed.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  expect([...s.hashed.values()].every((n) => n === 1)).toBe(true);
});

test('a store whose disk is not mounted is skipped: nothing hashed, nothing recorded', async () => {
  const chunks: number[] = [];
  const activities: FakeActivities = {
    async planAudit() {
      return { store: 'main', mounted: false, instances: 0, bytes: 0 };
    },
    async auditChunk() {
      chunks.push(1);
      throw new Error('not expected');
    },
  };
  const r = await withWorker(env, activities, (taskQueue) => env.client.workflow.execute<typeof auditStore>('auditStore', { taskQueue, workflowId: 'audit/wf/unmounted', args: [settings] }));
  expect(r).toMatchObject({ phase: 'skipped', skipped: 'the store is not mounted', checked: 0, finished: true });
  expect(chunks).toEqual([]);
});

test('damage found in a chunk starts its repairs right after that chunk, not when the audit ends', async () => {
  const s = fakeStore(12, { corrupt: [6] });
  const r = await withWorker(env, s.activities, (taskQueue) => env.client.workflow.execute<typeof auditStore>('auditStore', { taskQueue, workflowId: 'audit/wf/main-damaged', args: [settings] }));
  expect(r).toMatchObject({ checked: 12, good: 11, corrupt: 1, finished: true });
  expect(s.events).toEqual(['chunk 1', 'chunk 2 (1 corrupt)', 'start repairs', 'chunk 3']);
});
