/**
 * Crashes during an upload: kill -9 of the worker while it hashes and while it commits, and of
 * the API between stage and commit. After a restart every upload finishes with exactly one File
 * and one Instance, and nothing is left in staging or stray in the store.
 *
 * The data is a 2 GiB sparse file hashed with md5 (the slowest algorithm, ~0.8 GB/s here), so
 * hashing and copying take seconds; the worker is killed as soon as Temporal shows the activity
 * running, in the middle of that work. The heartbeat timeout is 3 s, so Temporal notices the dead
 * worker quickly.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { checksumOf, closeChecksums, listTree } from '../support/data';
import { apiError } from '../support/http';
import type { ApiError } from '../../src/protocol/client';
import { activityStarted, lastAttempt } from '../support/history';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';
import { testTemporalClient } from '../support/temporalServer';
import { stageZeros, zerosChecksum } from '../support/zeros';

const SIZE = 2 * 1024 ** 3;

interface Staged {
  transfer_id: number;
  staging_location: string;
}

let temporal: Client;
let zeros: { checksum: string; size: number };

beforeAll(async () => {
  temporal = await testTemporalClient();
  zeros = await zerosChecksum(SIZE);
});
afterAll(async () => {
  await stopAllLibrarians();
  await temporal.connection.close();
  await closeChecksums();
});


type Status = { verification: { step: string; done: number; total: number } | null };

async function expectExactlyOne(lib: LibrarianHandle, dest: string, storeName: string): Promise<void> {
  const svc = await lib.domain();
  const files = await svc.db.file.findMany({ where: { name: dest }, include: { instances: true } });
  expect(files).toHaveLength(1);
  expect(files[0]!.checksum).toBe(zeros.checksum);
  expect(files[0]!.instances).toHaveLength(1);
  expect(await svc.db.instance.count()).toBe(await svc.db.file.count());
  const transfers = await svc.db.incomingTransfer.findMany({ where: { storePath: dest } });
  expect(transfers.map((t) => t.status)).toEqual(['COMPLETED']);
  expect(listTree(path.join(lib.dir, `stores/${storeName}/staging`))).toEqual([]);
  const store = listTree(path.join(lib.dir, `stores/${storeName}/store`));
  expect(store.filter((p) => p.includes('.librarian'))).toEqual([]);
  expect(store).toContain(dest);
  expect((await checksumOf(path.join(lib.dir, `stores/${storeName}/store`, dest), 'md5')).checksum).toBe(zeros.checksum);
}

describe.each(PROVIDERS)('upload crashes on %s', (provider) => {
  let lib: LibrarianHandle;
  beforeAll(async () => {
    lib = await startLibrarian({
      provider,
      config: { workflows: { heartbeatTimeout: '3s' }, checksums: { threads: 1 }, api: { stageTimeout: '10s' } },
      stores: [
        { name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' },
        // Copy-and-verify at commit: the commit itself takes seconds. Used only by its test.
        { name: 'ro', enabled: false, stagingPath: 'stores/ro/staging', storePath: 'stores/ro/store', readonlyAfterCommit: true },
      ],
      separate: true,
    });
  });

  test('during a commit, upload/status says how far the verification has got; after it, nothing', async () => {
    const s = await stageZeros(lib, 'crash/progress.bin', zeros);
    const commit = lib.client().post('upload/commit', { transfer_id: s.transfer_id }, 600_000);
    const status = () => lib.client().post<Status>('upload/status', { transfer_id: s.transfer_id });
    // The step's heartbeats carry its progress (every second here, with a 3 s heartbeat timeout).
    const seen = await waitFor('verification progress', async () => {
      const v = (await status()).verification;
      return v && v.done > 0 ? v : undefined;
    }, 120_000, 100);
    expect(seen).toEqual({ step: 'verifyUpload', done: expect.any(Number), total: SIZE });
    expect(seen.done).toBeLessThanOrEqual(SIZE);
    await expect(commit).resolves.toMatchObject({ success: true, file_name: 'crash/progress.bin' });
    expect((await status()).verification).toBeNull();
  });

  test('kill -9 of the worker while it hashes: the verification is retried and the upload completes once', async () => {
    const s = await stageZeros(lib, 'crash/hashing.bin', zeros);
    const commit = lib.client().post('upload/commit', { transfer_id: s.transfer_id }, 600_000);
    const wf = `upload/${lib.name}/crash/hashing.bin`;
    await activityStarted(temporal, wf, 'verifyAndCommitUpload');
    await lib.stopWorker('SIGKILL');
    // Killed before the data was verified: the transfer is not STAGED yet, so the retry hashes again.
    expect((await (await lib.domain()).db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).status).toBe('INITIATED');
    await lib.startWorker();
    await expect(commit).resolves.toMatchObject({ success: true, file_name: 'crash/hashing.bin' });
    expect(await lastAttempt(temporal, wf, 'verifyAndCommitUpload')).toBeGreaterThan(1);
    await expectExactlyOne(lib, 'crash/hashing.bin', 'main');
  });

  test('kill -9 of the worker while it commits (copy and re-verify into a read-only store): completes once, no stray copy', async () => {
    const ro = lib;
    await ro.client().post('admin/stores/state_change', { store_name: 'ro', enabled: true });
    await ro.client().post('admin/stores/state_change', { store_name: 'main', enabled: false });
    const s = await stageZeros(ro, 'crash/commit.bin', zeros);
    await ro.client().post('admin/stores/state_change', { store_name: 'main', enabled: true });
    await ro.client().post('admin/stores/state_change', { store_name: 'ro', enabled: false });
    const commit = ro.client().post('upload/commit', { transfer_id: s.transfer_id }, 600_000);
    const wf = `upload/${ro.name}/crash/commit.bin`;
    // The step's heartbeat says when it has verified the data and is copying it into the store.
    await waitFor('the commit part of the step', async () => (await ro.client().post<Status>('upload/status', { transfer_id: s.transfer_id })).verification?.step === 'commitUpload', 120_000, 100);
    await ro.stopWorker('SIGKILL');
    expect((await (await ro.domain()).db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).status).toBe('STAGED');
    await ro.startWorker();
    await expect(commit).resolves.toMatchObject({ success: true, file_name: 'crash/commit.bin', store_name: 'ro' });
    expect(await lastAttempt(temporal, wf, 'verifyAndCommitUpload')).toBeGreaterThan(1);
    await expectExactlyOne(ro, 'crash/commit.bin', 'ro');
  });

  test('no worker: the stage is answered 503 saying it may still be done; once a worker did it, the same stage again reaches that transfer', async () => {
    const svc = await lib.domain();
    const body = { upload_size: 11, upload_checksum: (await checksumOfBuffer('hello again')).checksum, upload_name: 'late.txt', destination_location: 'crash/late.txt' };
    await lib.stopWorker();
    let late: ApiError;
    try {
      late = await apiError(lib.client().post('upload/stage', body));
    } finally {
      await lib.startWorker();
    }
    expect([late.status, late.reason]).toEqual([503, 'No Librarian worker answered within 10 s; the stage may still be done when one does.']);
    expect(late.body).toEqual({ reason: late.reason, suggested_remedy: expect.stringMatching(/^Send the same upload\/stage request again: if the stage was done, it answers with that transfer/) });
    // The worker, back, does the stage it was asked for.
    const first = await waitFor('the stage to be done', async () => (await svc.db.incomingTransfer.findMany({ where: { storePath: 'crash/late.txt' } }))[0]);
    const again = await lib.client().post<Staged & { superseded_transfer_ids: number[] }>('upload/stage', body);
    expect(again).toMatchObject({ transfer_id: first.id, superseded_transfer_ids: [] });
    expect((await svc.db.incomingTransfer.findMany({ where: { storePath: 'crash/late.txt' } })).map((t) => [t.id, t.status])).toEqual([[first.id, 'INITIATED']]);
    writeFileSync(again.staging_location, 'hello again');
    await expect(lib.client().post('upload/commit', { transfer_id: first.id })).resolves.toMatchObject({ success: true, file_name: 'crash/late.txt' });
    expect(listTree(path.join(lib.dir, 'stores/main/staging'))).toEqual([]);
  });

  test('kill -9 of the API between stage and commit: after a restart the upload commits', async () => {
    const s = await lib.client().post<Staged>('upload/stage', {
      upload_size: 11,
      upload_checksum: (await checksumOfBuffer('hello world')).checksum,
      upload_name: 'api.txt',
      destination_location: 'crash/api.txt',
    });
    await lib.stopApi('SIGKILL');
    await lib.startApi();
    await lib.client().put(`upload/${s.transfer_id}/data`, (async function* () {
      yield Buffer.from('hello world');
    })(), { 'Content-Type': 'text/plain' });
    await expect(lib.client().post('upload/commit', { transfer_id: s.transfer_id })).resolves.toMatchObject({ success: true });
    const svc = await lib.domain();
    expect(await svc.db.file.count({ where: { name: 'crash/api.txt' } })).toBe(1);
    expect(listTree(path.join(lib.dir, 'stores/main/staging'))).toEqual([]);
  });
});

async function checksumOfBuffer(text: string) {
  const file = path.join(os.tmpdir(), `buf-${process.pid}`);
  writeFileSync(file, text);
  return checksumOf(file);
}
