/**
 * SneakerNet round trips between two real Librarians, driven from the CLI as an operator would:
 * a directory stands in for the drive (a non-ingestable store of A, read at B from the same path).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { tripStateQuery } from '../../src/workflows/sneakernetTrip';
import { expectCloned, FAST_CLONE, fill, type Uploaded } from '../support/clone';
import { closeChecksums, listTree, tmpDir, treeDigest } from '../support/data';
import { connectPeers, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { pendingActivity } from '../support/history';
import { waitFor } from '../support/ports';
import { fakeSlack, type FakeSlack } from '../support/slack';
import { testTemporalClient } from '../support/temporalServer';

let a: LibrarianHandle;
let b: LibrarianHandle;
let temporal: Client;
let slack: FakeSlack;

const drive = (n: string) => ({ name: n, ingestable: false, enabled: false, stagingPath: `stores/${n}/staging`, storePath: `stores/${n}/store` });

beforeAll(async () => {
  temporal = await testTemporalClient();
  slack = await fakeSlack();
  b = await startLibrarian({ name: `b-${randomUUID().slice(0, 6)}`, provider: 'sqlite', config: FAST_CLONE, separate: true });
  a = await startLibrarian({
    name: `a-${randomUUID().slice(0, 6)}`,
    provider: 'postgresql',
    config: {
      ...FAST_CLONE,
      clone: { ...FAST_CLONE.clone, methods: ['local'] },
      notifications: { slackWebhookUrl: slack.url },
      localClones: [{ name: 'drives', from: 'main', to: ['drive1', 'drive2'], every: 0, order: 'newest', unlessAt: b.name }],
    },
    stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' }, drive('drive1'), drive('drive2')],
    separate: true,
  });
  await connectPeers(a, b);
});

afterAll(async () => {
  await stopAllLibrarians();
  await temporal.connection.close();
  await slack.close();
  await closeChecksums();
});

async function ok<T = Record<string, unknown>>(lib: LibrarianHandle, args: string[]): Promise<T> {
  const r = await lib.cli([...args, '--json']);
  if (r.status !== 0) throw new Error(`librarian ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.json<T>();
}

async function tripState(store: string): Promise<string> {
  return (await temporal.workflow.getHandle(`sneakernet/${a.name}/${store}`).query(tripStateQuery)).state;
}

async function status(store: string) {
  return (await ok<{ store_name: string; state: string; files: number; bytes: number; waiting_for: string }[]>(a, ['sneakernet', 'status'])).find((t) => t.store_name === store);
}

test('full round trip of 50 files and 3 books: provision, fill, seal, manifest, ingest, confirm, wipe', async () => {
  const files = await fill(a, { files: 50, books: 3, prefix: 'trip1' });
  expect(await ok(a, ['sneakernet', 'provision', '--store', 'drive1'])).toMatchObject({ trip_id: `sneakernet/${a.name}/drive1`, state: 'filling' });
  expect(await status('drive1')).toMatchObject({ state: 'filling', waiting_for: expect.stringContaining('local clone') });

  expect(await ok(a, ['local-clone', 'run', 'drives'])).toMatchObject({ copied: 53, present: 0, failed: [] });
  const svc = await a.domain();
  const drive1 = await svc.db.store.findUniqueOrThrow({ where: { name: 'drive1' } });
  expect(await svc.db.instance.count({ where: { storeId: drive1.id, available: true } })).toBe(53);
  expect(await svc.db.cloneTransfer.count({ where: { destinationStoreId: drive1.id, status: 'COMPLETED' } })).toBe(53);
  for (const f of files.slice(0, 5)) expect(treeDigest(path.join(a.dir, 'stores/drive1/store', f.name))).toEqual(treeDigest(f.local));

  expect(await ok(a, ['sneakernet', 'seal', '--store', 'drive1'])).toMatchObject({ files: 53 });
  await waitFor('the full-drive alert', async () => slack.alerts.some((t) => t.includes('SneakerNet drive "drive1" is full')), 30_000);
  expect(await tripState('drive1')).toBe('full');

  const m1 = path.join(tmpDir('manifest-'), 'm.json');
  const written = await ok<{ files: number; manifest_checksum: string }>(a, ['sneakernet', 'manifest', '--store', 'drive1', '--destination', b.name, '--output', m1]);
  expect(written.files).toBe(53);
  const again = await ok<{ manifest_checksum: string }>(a, ['sneakernet', 'manifest', '--store', 'drive1', '--destination', b.name, '--output', `${m1}.again`]);
  expect(again.manifest_checksum).toBe(written.manifest_checksum);
  expect(readFileSync(`${m1}.again`, 'utf8')).toBe(readFileSync(m1, 'utf8'));
  const manifest = JSON.parse(readFileSync(m1, 'utf8'));
  expect(manifest).toMatchObject({ version: 1, librarian_name: a.name, source_librarian: a.name, destination_librarian: b.name, store_name: 'drive1' });
  expect(manifest.store_files[0]).toEqual({
    name: expect.any(String),
    create_time: expect.any(String),
    size: expect.any(Number),
    checksum: expect.stringMatching(/^xxh3:::/),
    uploader: 'telescope-pipeline',
    source: 'admin',
    instance_path: manifest.store_files[0].name,
    deletion_policy: 0,
    instance_create_time: expect.any(String),
    instance_available: false,
    outgoing_transfer_id: expect.any(Number),
  });
  expect(await svc.db.outgoingTransfer.count({ where: { batchId: `sneakernet/${a.name}/drive1` } })).toBe(53);
  expect(await svc.db.outgoingTransfer.count({ where: { batchId: `sneakernet/${a.name}/drive1`, status: 'ONGOING' } })).toBe(53);
  expect(await svc.db.instance.count({ where: { storeId: drive1.id, available: true } })).toBe(0);
  expect((await svc.db.store.findUniqueOrThrow({ where: { name: 'drive1' } })).enabled).toBe(false);
  const driveBytes = manifest.store_files.reduce((s: number, e: { size: number }) => s + e.size, 0);
  expect(driveBytes).toBeGreaterThan(0);
  expect(await status('drive1')).toMatchObject({ state: 'in transit', files: 53, bytes: driveBytes, waiting_for: expect.stringContaining(`confirmations from ${b.name}: 0/53`) });

  const wipeEarly = await a.cli(['sneakernet', 'wipe', '--store', 'drive1']);
  expect(wipeEarly.status).not.toBe(0);
  expect(wipeEarly.stderr).toContain(`53 of 53 files on the drive are not confirmed at ${b.name}`);

  const ingest = await ok<{ ingested: number; already_present: number; rejected: unknown[] }>(b, ['sneakernet', 'ingest', '--manifest', m1, '--drive-root', path.join(a.dir, 'stores/drive1/store')]);
  expect([ingest.ingested, ingest.already_present, ingest.rejected]).toEqual([53, 0, []]);
  await expectArrived(files);
  await waitFor('every confirmation at A', async () => (await tripState('drive1')) === 'confirmed', 60_000);
  await waitFor('the confirmed alert', async () => slack.alerts.some((t) => t.includes('"drive1": all 53 files are confirmed')), 30_000);

  expect(await ok(a, ['sneakernet', 'wipe', '--store', 'drive1'])).toMatchObject({ files_deleted: 53 });
  expect(listTree(path.join(a.dir, 'stores/drive1/store'))).toEqual([]);
  expect(await svc.db.instance.count({ where: { storeId: drive1.id } })).toBe(0);
  expect((await svc.db.store.findUniqueOrThrow({ where: { name: 'drive1' } })).enabled).toBe(true);
  await waitFor('the trip to end', async () => (await temporal.workflow.getHandle(`sneakernet/${a.name}/drive1`).describe()).status.name === 'COMPLETED', 30_000);
});

/** Files are at B byte for byte, catalogued as at A, with a RemoteInstance at A for each. */
async function expectArrived(files: Uploaded[]) {
  await waitFor('RemoteInstances at A', async () => {
    const svc = await a.domain();
    return (await svc.db.remoteInstance.count({ where: { fileName: { in: files.map((f) => f.name) } } })) === files.length;
  }, 60_000);
  const bSvc = await b.domain();
  for (const f of files) {
    const file = await bSvc.db.file.findUniqueOrThrow({ where: { name: f.name } });
    expect([file.uploader, file.source]).toEqual(['telescope-pipeline', a.name]);
    expect(treeDigest(path.join(b.dir, 'stores/main/store', f.name))).toEqual(treeDigest(f.local));
  }
  expect(listTree(path.join(b.dir, 'stores/main/staging'))).toEqual([]);
}

test('a bad drive: corrupted and missing files, unplugged mid-ingest, worker killed, source down while confirming, ingested twice', async () => {
  const files = await fill(a, { files: 40, books: 0, prefix: 'trip2', fileSize: 200_000 });
  await ok(a, ['sneakernet', 'provision', '--store', 'drive1']);
  expect(await ok(a, ['local-clone', 'run', 'drives'])).toMatchObject({ copied: 40 });
  await ok(a, ['sneakernet', 'seal', '--store', 'drive1']);
  const m = path.join(tmpDir('manifest-'), 'm.json');
  await ok(a, ['sneakernet', 'manifest', '--store', 'drive1', '--destination', b.name, '--output', m]);

  const root = path.join(a.dir, 'stores/drive1/store');
  const corrupt = files[3]!;
  const missing = files[7]!;
  const bytes = readFileSync(path.join(root, corrupt.name));
  bytes[100] = bytes[100]! ^ 0xff;
  writeFileSync(path.join(root, corrupt.name), bytes);
  renameSync(path.join(root, missing.name), path.join(tmpDir(), 'stolen.dat'));

  // The drive is "unplugged" when the ingest starts, and the source is down.
  renameSync(root, `${root}.unplugged`);
  await a.stopApi();
  const manifest = JSON.parse(readFileSync(m, 'utf8'));
  const { ingest_id } = await b.client().post<{ ingest_id: string }>('sneakernet/ingest', { manifest, drive_root: root });
  const progress = () => b.client().post<{ done: number; finished: boolean; ingested: number; rejected: { name: string; reason: string }[]; already_present: number }>('sneakernet/ingest_status', { ingest_id });
  // The copy waits for the drive, retrying: nothing is ingested or rejected meanwhile.
  await waitFor('the copy to retry while the drive is away', async () => ((await pendingActivity(temporal, ingest_id, 'copyFromDrive'))?.attempt ?? 0) >= 2, 60_000);
  expect((await pendingActivity(temporal, ingest_id, 'copyFromDrive'))!.lastFailure).toMatch(/^The drive is not mounted at /);
  expect(await progress()).toMatchObject({ done: 0, finished: false, rejected: [] });
  renameSync(`${root}.unplugged`, root);
  await waitFor('a few files ingested', async () => (await progress()).done >= 5, 60_000, 100);
  await b.stopWorker('SIGKILL');
  await b.startWorker();
  const summary = await waitFor('the ingest to finish', async () => {
    const p = await progress();
    return p.finished ? p : undefined;
  }, 120_000);
  expect(summary.ingested).toBe(38);
  expect(summary.rejected.map((r) => r.name).sort()).toEqual([corrupt.name, missing.name].sort());
  expect(summary.rejected.find((r) => r.name === corrupt.name)!.reason).toMatch(/^Checksum mismatch/);
  expect(summary.rejected.find((r) => r.name === missing.name)!.reason).toBe(`${missing.name} is missing from the drive.`);
  const bSvc = await b.domain();
  expect(await bSvc.db.file.count({ where: { name: { in: [corrupt.name, missing.name] } } })).toBe(0);

  // The confirmations to the source are retried while it is down; when it comes back they arrive.
  const received = await bSvc.db.incomingTransfer.findFirstOrThrow({ where: { storePath: files[0]!.name, status: 'COMPLETED' } });
  await waitFor('the confirmation to be retried while the source is down', async () => ((await pendingActivity(temporal, `receive/${b.name}/${received.id}`, 'notifySourceComplete'))?.attempt ?? 0) >= 2, 60_000);
  await a.startApi();
  const good = files.filter((f) => f !== corrupt && f !== missing);
  await expectArrived(good);
  const svc = await a.domain();
  await waitFor('both rejections recorded at A', async () => (await svc.db.outgoingTransfer.count({ where: { batchId: `sneakernet/${a.name}/drive1`, status: 'FAILED' } })) === 2, 60_000);
  expect(await status('drive1')).toMatchObject({ state: 'ingesting at the destination', waiting_for: expect.stringContaining('38/40 confirmed, 2 rejected') });
  const refused = await a.cli(['sneakernet', 'wipe', '--store', 'drive1']);
  expect(refused.status).not.toBe(0);
  expect(refused.stderr).toContain('2 of 40 files on the drive are not confirmed');

  // The same manifest again: everything good is already there; the bad two are still bad.
  const rerun = await b.cli(['sneakernet', 'ingest', '--manifest', m, '--drive-root', root, '--json']);
  expect(rerun.status).toBe(1);
  const second = rerun.json<{ ingested: number; already_present: number; rejected: unknown[] }>();
  expect([second.ingested, second.already_present, second.rejected.length]).toEqual([0, 38, 2]);
  expect(await bSvc.db.file.count({ where: { name: { startsWith: 'trip2/' } } })).toBe(38);

  // The rejected files go over the network instead; then the drive may be wiped.
  await a.client().post('admin/clone/send', { peer: b.name });
  await expectArrived([corrupt, missing]);
  expect(await ok(a, ['sneakernet', 'wipe', '--store', 'drive1'])).toMatchObject({ files_deleted: 40 });
  await expectCloned(a, b, files);
});

test('the drive fills up: it is disabled, the operators are told, and the next drive takes over', async () => {
  // drive1 gets a small capacity for this trip.
  const cfg = readFileSync(a.configPath, 'utf8').replace('name: drive1\n', 'name: drive1\n    capacityBytes: 100000\n');
  writeFileSync(a.configPath, cfg);
  expect((await a.cli(['setup', '--config', a.configPath])).status).toBe(0);
  await a.stopWorker();
  await a.startWorker();
  const files = await fill(a, { files: 12, books: 0, prefix: 'trip3', fileSize: 20_000 });
  await ok(a, ['sneakernet', 'provision', '--store', 'drive1']);
  await ok(a, ['sneakernet', 'provision', '--store', 'drive2']);
  const r = await ok<{ copied: number; full_stores: string[] }>(a, ['local-clone', 'run', 'drives']);
  expect(r).toMatchObject({ copied: 12, full_stores: ['drive1'] });
  const svc = await a.domain();
  const [d1, d2] = await Promise.all(['drive1', 'drive2'].map((n) => svc.db.store.findUniqueOrThrow({ where: { name: n } })));
  const on1 = await svc.db.instance.count({ where: { storeId: d1!.id, available: true } });
  const on2 = await svc.db.instance.count({ where: { storeId: d2!.id, available: true } });
  expect(on1).toBe(4);
  expect(on1 + on2).toBe(files.length);
  expect(d1!.enabled).toBe(false);
  expect(d2!.enabled).toBe(true);
  await waitFor('drive1 to be full', async () => (await tripState('drive1')) === 'full', 30_000);
  expect(await tripState('drive2')).toBe('filling');
  expect(slack.alerts.some((t) => t.includes('Store "drive1" is full (4 files'))).toBe(true);
  expect(existsSync(path.join(a.dir, 'stores/drive2/store', 'trip3'))).toBe(true);
});
