/**
 * The catalog's retry policies (src/workflows/retries.ts) on the time-skipping test server, with
 * the real activity wrapper (src/activities/support.ts `run`) around fakes that fail as Prisma and
 * the filesystem do:
 *
 * - a flow that carries work (a SneakerNet ingest) waits out a catalog outage of two days
 *   (CATALOG_UNTIL_IT_ANSWERS), but not a disk that keeps failing under that same policy: after
 *   DISK_WORK's 8 attempts the entry is rejected and the ingest goes on; a disk that refuses for
 *   good rejects the entry at once;
 * - a bug (a TypeError) in such a step is not retried at all;
 * - a run that is started again (an audit) gives up on the catalog after about four minutes
 *   (CATALOG_FOR_MINUTES) with the reason.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { sneakernetActivities } from '../../src/activities/sneakernet';
import { run } from '../../src/activities/support';
import type { Domain } from '../../src/domain';
import type { Flows } from '../../src/flows';
import { auditSettings } from '../../src/flows/audit';
import { receiveSettings } from '../../src/flows/clone';
import type { ManifestEntry } from '../../src/domain/sneakernet/manifest';
import { Prisma } from '../../src/generated/postgres/client';
import type { auditStore } from '../../src/workflows/auditStore';
import type { receiveClone } from '../../src/workflows/receiveClone';
import type { sneakernetIngest } from '../../src/workflows/sneakernetIngest';
import { createTimeSkippingEnv } from '../support/timeSkipping';
import { DAY, MINUTE, outage, productionConfig, withWorker, workflowEnv, type FakeActivities } from '../support/workflows';

jest.setTimeout(5 * 60_000);

// One test server per test: a SneakerNet ingest ends before the children it abandons (telling the
// source), and the test server then runs its clock at real speed for whatever follows.
let env: TestWorkflowEnvironment;
let runtime = false;
beforeEach(async () => {
  env = runtime ? await createTimeSkippingEnv() : await workflowEnv();
  runtime = true;
});
afterEach(() => env?.teardown());

const config = productionConfig();

/** What Prisma throws when the catalog database does not answer. */
function catalogDown(): Error {
  return new Prisma.PrismaClientKnownRequestError("Can't reach database server at db.example.org:5432", { code: 'P1001', clientVersion: 'test' });
}

/** An error as the filesystem raises it (with the path of the call, as Node gives it). */
function fsError(code: string, message: string, p: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${message}, mkdir '${p}'`), { code, errno: -1, syscall: 'mkdir', path: p });
}

/** Fails the test instead of looping: a step retried this often has no bound. */
function noEndlessRetry(what: string): void {
  if (Context.current().info.attempt > 40) throw ApplicationFailure.nonRetryable(`${what} was retried more than 40 times: it retries without end`, 'EndlessRetry');
}

function entry(i: number): ManifestEntry {
  return {
    name: `obs/f${i}`,
    create_time: '2026-01-01T00:00:00.000Z',
    size: 10,
    checksum: `md5:::${String(i).padStart(32, '0')}`,
    uploader: 'u',
    source: 'site-a',
    instance_path: `obs/f${i}`,
    deletion_policy: 1,
    instance_create_time: '2026-01-01T00:00:00.000Z',
    instance_available: true,
    outgoing_transfer_id: 100 + i,
  } as unknown as ManifestEntry;
}

function ingestInput(total: number) {
  return { source: 'site-a', operator: 'admin', driveRoot: '/mnt/drive', manifest: 'sha256:::m', total, bytesTotal: total * 10, receive: receiveSettings(config), concurrency: 1 };
}

/** Runs an ingest to its summary, and the children it started (telling the source) to their end, with the worker. */
async function ingest(workflowId: string, total: number, activities: FakeActivities) {
  return withWorker(env, activities, async (taskQueue) => {
    const r = await env.client.workflow.execute<typeof sneakernetIngest>('sneakernetIngest', { taskQueue, workflowId, args: [ingestInput(total)] });
    for (let i = 1; i <= total; i++) await env.client.workflow.getHandle(`${workflowId}/present/${100 + i}`).result().catch(() => undefined);
    return r;
  });
}

/** A drive whose entries are all already here (the source is told by a child workflow). */
function ingestFakes(stage: (e: ManifestEntry) => Promise<{ kind: 'present'; storeId: number }>, total: number, catalog?: ReturnType<typeof outage>) {
  const confirmed: number[] = [];
  const activities: FakeActivities = {
    manifestEntries: (_m: string, offset: number, limit: number) =>
      run(async () => {
        if (catalog) await catalog.check();
        else noEndlessRetry('manifestEntries');
        return Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, i) => entry(offset + i + 1));
      }),
    // The real activity, over a domain whose staging fails as a disk or a catalog would.
    stageDriveEntry: sneakernetActivities({ driveIngest: { stageEntry: (_s: string, _o: string, e: ManifestEntry) => stage(e) } } as unknown as Domain, {} as Flows).stageDriveEntry,
    async confirmPresentToSource(_source: string, sourceTransferId: number) {
      confirmed.push(sourceTransferId);
    },
  };
  return { activities, confirmed };
}

test('the catalog down for two days during a SneakerNet ingest: every catalog step waits, a minute apart at most, and the ingest completes', async () => {
  const down = outage(env, 2 * DAY, catalogDown);
  const f = ingestFakes(async () => {
    await down.check();
    return { kind: 'present', storeId: 1 };
  }, 3, down);
  const r = await ingest('sneakernet-ingest/wf/outage', 3, f.activities);
  expect(r).toMatchObject({ total: 3, done: 3, present: 3, ingested: 0, rejected: [], finished: true });
  const s = down.stats();
  expect(s.spanMs).toBeGreaterThanOrEqual(2 * DAY);
  expect(s.maxGapMs).toBeLessThanOrEqual(MINUTE + 5_000);
  // About one try a minute for two days: not a bounded number of attempts.
  expect(s.calls).toBeGreaterThan(2 * 24 * 60 - 60);
});

test('a disk that keeps failing (EIO) while an entry is staged: 8 attempts, then that entry is rejected and the ingest goes on', async () => {
  const tries: number[] = [];
  const f = ingestFakes(async (e) => {
    if (e.name === 'obs/f1') {
      noEndlessRetry('stageDriveEntry');
      tries.push(await env.currentTimeMs());
      throw fsError('EIO', 'i/o error', '/store/.staging/9f1c');
    }
    return { kind: 'present', storeId: 1 };
  }, 2);
  const r = await ingest('sneakernet-ingest/wf/eio', 2, f.activities);
  expect(r).toMatchObject({
    done: 2,
    present: 1,
    rejected: [{ name: 'obs/f1', reason: "The disk kept failing (8 attempts; the last met EIO: i/o error, mkdir '/store/.staging/9f1c')." }],
    finished: true,
  });
  expect(tries).toHaveLength(8);
  // CATALOG_UNTIL_IT_ANSWERS's backoff: 1 + 2 + 4 + 8 + 16 + 32 + 60 s.
  expect(tries.at(-1)! - tries[0]!).toBeGreaterThanOrEqual(123_000);
  expect(tries.at(-1)! - tries[0]!).toBeLessThan(135_000);
  expect(f.confirmed).toEqual([102]);
});

test('a store that refuses an entry for good (read-only): rejected at once, the ingest goes on', async () => {
  let tries = 0;
  const f = ingestFakes(async (e) => {
    if (e.name === 'obs/f1') {
      tries++;
      throw fsError('EROFS', 'read-only file system', '/store/.staging/9f1c');
    }
    return { kind: 'present', storeId: 1 };
  }, 2);
  const r = await ingest('sneakernet-ingest/wf/erofs', 2, f.activities);
  expect(r).toMatchObject({ done: 2, present: 1, rejected: [{ name: 'obs/f1', reason: "The filesystem is read-only (EROFS: read-only file system, mkdir '/store/.staging/9f1c')." }], finished: true });
  expect(tries).toBe(1);
});

test('a bug in a catalog step that waits out outages (a TypeError) is not retried: the workflow fails with it at once', async () => {
  let tries = 0;
  const activities: FakeActivities = {
    markIncomingStaged: () =>
      run(async () => {
        tries++;
        noEndlessRetry('markIncomingStaged');
        throw new TypeError("Cannot read properties of undefined (reading 'status')");
      }),
  };
  const err = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow
      .execute<typeof receiveClone>('receiveClone', { taskQueue, workflowId: 'receive/wf/bug', args: [{ transferId: 1, source: 'site-a', staged: true, ...receiveSettings(config) }] })
      .then(
        () => undefined,
        (e: unknown) => e,
      ),
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as ApplicationFailure;
  expect([cause.type, cause.message]).toEqual(['TypeError', "Cannot read properties of undefined (reading 'status')"]);
  expect(tries).toBe(1);
});

test('an audit (started again by its Schedule) gives up on a catalog that does not answer after about four minutes, with the reason', async () => {
  const tries: number[] = [];
  const activities: FakeActivities = {
    planAudit: () =>
      run(async () => {
        noEndlessRetry('planAudit');
        tries.push(await env.currentTimeMs());
        throw catalogDown();
      }),
  };
  const err = await withWorker(env, activities, (taskQueue) =>
    env.client.workflow.execute<typeof auditStore>('auditStore', { taskQueue, workflowId: 'audit/wf/catalog-down', args: [auditSettings(config, 'main')] }).then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause?.cause as ApplicationFailure;
  expect([cause.type, cause.message.split('\n').at(-1)]).toEqual(['PrismaClientKnownRequestError', "Can't reach database server at db.example.org:5432"]);
  expect(tries).toHaveLength(10);
  // 1 s doubling to 1 min: 1 + 2 + 4 + 8 + 16 + 32 + 60 + 60 + 60 s.
  expect(tries.at(-1)! - tries[0]!).toBeGreaterThanOrEqual(243_000);
  expect(tries.at(-1)! - tries[0]!).toBeLessThan(260_000);
});
