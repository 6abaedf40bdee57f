/**
 * A staging disk that fills up during an HTTP upload: the client gets 507 with what the server
 * holds, nothing received is lost, and the upload resumes once there is room. Uses a small tmpfs
 * (needs root to mount; skipped with a message where mounting is not allowed).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../src/protocol/client';
import { checksumOf, closeChecksums, listTree, makeFile, tmpDir } from '../support/data';
import { startLibrarian, stopAllLibrarians } from '../support/librarian';

const mountPoint = path.join(tmpDir('disk-full-'), 'small');
mkdirSync(mountPoint);
const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]).status === 0;
if (!mounted) console.warn('diskFull.test.ts: cannot mount a tmpfs here (not root?); the disk-full test is skipped.');

afterAll(async () => {
  await stopAllLibrarians();
  await closeChecksums();
  if (mounted) execFileSync('umount', [mountPoint]);
});

(mounted ? test : test.skip)('disk full during an HTTP upload: 507, nothing lost, resume after space is freed', async () => {
  const lib = await startLibrarian({ stores: [{ name: 'small', stagingPath: path.join(mountPoint, 'staging'), storePath: path.join(mountPoint, 'store') }] });
  const local = makeFile(path.join(tmpDir(), 'big.bin'), 3_000_000);
  const bytes = readFileSync(local);
  const { checksum } = await checksumOf(local);
  const s = await lib.client().post<{ transfer_id: number }>('upload/stage', { upload_size: bytes.length, upload_checksum: checksum, upload_name: 'big.bin', destination_location: 'big.bin' });
  // Someone else takes most of the disk after the upload was staged.
  writeFileSync(path.join(mountPoint, 'filler'), Buffer.alloc(2_500_000));
  let full: ApiError | undefined;
  try {
    await lib.client().put(`upload/${s.transfer_id}/data`, (async function* () {
      for (let i = 0; i < bytes.length; i += 65536) yield bytes.subarray(i, i + 65536);
    })(), { 'Content-Type': 'application/octet-stream', 'Upload-Offset': '0' });
  } catch (e) {
    full = e as ApiError;
  }
  expect(full).toBeInstanceOf(ApiError);
  expect(full!.status).toBe(507);
  expect(full!.reason).toBe('The staging disk is full.');
  const held = (await lib.client().post<{ received_bytes: number }>('upload/status', { transfer_id: s.transfer_id })).received_bytes;
  expect(held).toBeGreaterThan(0);
  expect(held).toBeLessThan(bytes.length);

  rmSync(path.join(mountPoint, 'filler'));
  await lib.client().put(`upload/${s.transfer_id}/data`, (async function* () {
    yield bytes.subarray(held);
  })(), { 'Content-Type': 'application/octet-stream', 'Upload-Offset': String(held) });
  await lib.client().post('upload/commit', { transfer_id: s.transfer_id });
  expect(readFileSync(path.join(mountPoint, 'store/big.bin')).equals(bytes)).toBe(true);
  expect(listTree(path.join(mountPoint, 'staging'))).toEqual([]);
});
