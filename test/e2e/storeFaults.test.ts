/**
 * A store whose disk turns read-only, on each catalog: the commit that meets it fails at once
 * (503, cleaned up) instead of being retried forever, and the store is disabled with an alert
 * (by that commit, or by the health check), so uploads go elsewhere until an operator enables it
 * again. The store root is a small tmpfs remounted read-only (needs root to mount; skipped with a
 * message where that is not allowed, but failed where the environment variable CI is set, as
 * .ci/run sets it); staging stays on the ordinary disk, as when the two are separate filesystems.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { checksumOf, closeChecksums, listTree, makeFile, tmpDir } from '../support/data';
import { apiError } from '../support/http';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';

const root = tmpDir('store-faults-');
const mounts = PROVIDERS.map((p) => path.join(root, `disk-${p}`));
const mounted = mounts.every((m) => {
  mkdirSync(m);
  return spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', m]).status === 0;
});
/** Where CI is set (.ci/run sets it), these tests must run: not being able to mount fails the file instead of skipping it. */
const inCi = !!process.env.CI && !['0', 'false'].includes(process.env.CI.toLowerCase());
if (!mounted && inCi) {
  test('a tmpfs can be mounted (CI is set: the store-fault tests must run, so run the suite as root)', () => {
    throw new Error(`storeFaults.test.ts: cannot mount a tmpfs at ${mounts.join(', ')} (not root?), and CI=${process.env.CI}: these tests may not be skipped in CI.`);
  });
} else if (!mounted) console.warn('storeFaults.test.ts: cannot mount a tmpfs here (not root?); its tests are skipped (CI is not set).');

const remount = (m: string, mode: 'ro' | 'rw') => execFileSync('mount', ['-o', `remount,${mode}`, m]);

afterAll(async () => {
  await stopAllLibrarians();
  await closeChecksums();
  for (const m of mounts) spawnSync('umount', [m]);
});

interface Staged {
  transfer_id: number;
  staging_location: string;
  store_name: string;
}

(mounted ? describe.each(PROVIDERS) : describe.skip.each(PROVIDERS))('a store turning read-only on %s', (provider) => {
  const mount = mounts[PROVIDERS.indexOf(provider)]!;
  let lib: LibrarianHandle;
  const data = tmpDir('store-faults-src-');

  beforeAll(async () => {
    lib = await startLibrarian({
      provider,
      stores: [
        // First in order, so uploads go here while it is usable.
        { name: 'disk', stagingPath: 'stores/disk/staging', storePath: mount },
        { name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' },
      ],
    });
  });
  afterEach(() => remount(mount, 'rw'));

  async function stage(dest: string): Promise<{ s: Staged; local: string }> {
    const local = makeFile(path.join(data, path.basename(dest)), 5000);
    const { checksum, size } = await checksumOf(local);
    const s = await lib.client().post<Staged>('upload/stage', { upload_size: size, upload_checksum: checksum, upload_name: path.basename(dest), destination_location: dest });
    return { s, local };
  }

  test('a commit into a read-only store fails at once with 503 and is cleaned up', async () => {
    const { s, local } = await stage('obs/ro.bin');
    expect(s.store_name).toBe('disk');
    cpSync(local, s.staging_location);
    remount(mount, 'ro');
    const e = await apiError(lib.client().post('upload/commit', { transfer_id: s.transfer_id }));
    const final = path.join(mount, 'obs/ro.bin');
    expect([e.status, e.reason]).toEqual([503, `Transfer ${s.transfer_id} cannot be stored at ${final} in store "disk": the filesystem is read-only (EROFS: read-only file system, mkdir '${path.dirname(final)}').`]);
    const svc = await lib.domain();
    expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).toMatchObject({ status: 'FAILED', failureStatus: 503, failureReason: e.reason });
    expect(await svc.db.file.findUnique({ where: { name: 'obs/ro.bin' } })).toBeNull();
    expect(listTree(path.join(lib.dir, 'stores/disk/staging'))).toEqual([]);
    expect(existsSync(path.dirname(final))).toBe(false);
    // A read-only filesystem is the whole store: disabled and alerted at once, uploads go elsewhere.
    const problem = `the store is read-only (EROFS: read-only file system, mkdir '${path.dirname(final)}')`;
    const listed = await lib.client().post<{ name: string; enabled: boolean; health_problem: string | null }[]>('admin/stores/list');
    expect(listed.map((st) => [st.name, st.enabled, st.health_problem])).toEqual([
      ['disk', false, problem],
      ['main', true, null],
    ]);
    expect(await lib.client().post('search/error', {})).toEqual([
      expect.objectContaining({ severity: 'error', category: 'data_availability', caller: 'store-health', message: expect.stringContaining(`Store "disk" failed its health check and was disabled: ${problem}.`) }),
    ]);
    const next = (await stage('obs/next.bin')).s;
    expect(next.store_name).toBe('main');
    expect((await apiError(lib.client().post('upload/commit', { transfer_id: next.transfer_id }))).status).toBe(404);
    // For the next test: fixed, and enabled again.
    remount(mount, 'rw');
    await lib.client().post('admin/stores/state_change', { store_name: 'disk', enabled: true });
    await lib.client().post('error/clear', { id: (await lib.client().post<{ id: number }[]>('search/error', {}))[0]!.id });
  });

  test('staging that cannot be removed (a busy mount point in it) does not hold up the end of a transfer: the failed commit answers at once, the directory is left and logged', async () => {
    const { s } = await stage('obs/busy.bin');
    const busy = path.join(path.dirname(s.staging_location), 'busy');
    mkdirSync(busy);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', busy]);
    try {
      // No data was sent: verification fails, and ending the transfer meets EBUSY removing its staging.
      const e = await apiError(lib.client().post('upload/commit', { transfer_id: s.transfer_id }));
      expect([e.status, e.reason]).toEqual([404, `Nothing was found in the staging area at ${s.staging_location}.`]);
      const svc = await lib.domain();
      expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).toMatchObject({ status: 'FAILED', failureReason: e.reason });
      expect(existsSync(busy)).toBe(true);
      const logged = lib.logOf('worker').split('\n').find((l) => l.includes('the staging directory of an ended transfer cannot be removed; remove it by hand once the disk allows it'));
      expect(logged).toContain(`EBUSY: resource busy or locked, rmdir '${busy}'`);
    } finally {
      spawnSync('umount', [busy]);
    }
  });

  test('the health check disables a read-only store and alerts; uploads go to the next store until an operator enables it again', async () => {
    remount(mount, 'ro');
    const admin = lib.client();
    const check = await admin.post<{ writable: boolean; enabled: boolean; problem: string; health_problem: string }>('admin/stores/check', { store_name: 'disk' });
    expect(check).toMatchObject({ writable: false, enabled: false, problem: expect.stringContaining('EROFS: read-only file system'), health_problem: check.problem });
    const listed = await admin.post<{ name: string; enabled: boolean; health_problem: string | null }[]>('admin/stores/list');
    expect(listed.map((s) => [s.name, s.enabled, s.health_problem])).toEqual([
      ['disk', false, check.problem],
      ['main', true, null],
    ]);
    const alerts = await admin.post<{ category: string; severity: string; message: string; caller: string }[]>('search/error', {});
    expect(alerts).toEqual([
      expect.objectContaining({
        severity: 'error',
        category: 'data_availability',
        caller: 'store-health',
        message: `Store "disk" failed its health check and was disabled: ${check.problem}. No new data goes to it until an operator fixes it and enables it again ("librarian stores enable disk").`,
      }),
    ]);
    // Checked again while it is still failing: no second alert.
    await admin.post('admin/stores/check', { store_name: 'disk' });
    expect(await admin.post<unknown[]>('search/error', {})).toHaveLength(1);
    const { s } = await stage('obs/elsewhere.bin');
    expect(s.store_name).toBe('main');
    expect((await apiError(lib.client().post('upload/commit', { transfer_id: s.transfer_id }))).status).toBe(404);

    // Fixed and enabled again: checked healthy, and uploads go there again.
    remount(mount, 'rw');
    await admin.post('admin/stores/state_change', { store_name: 'disk', enabled: true });
    expect(await admin.post('admin/stores/check', { store_name: 'disk' })).toMatchObject({ writable: true, enabled: true, problem: null, health_problem: null });
    const again = await stage('obs/back.bin');
    expect(again.s.store_name).toBe('disk');
    expect((await apiError(lib.client().post('upload/commit', { transfer_id: again.s.transfer_id }))).status).toBe(404);
  });
});
