/**
 * Copies into a staging area (upload --via copy): in the kernel where it can, streamed where the
 * kernel cannot, byte for byte either way, with the mode a new file gets whatever the source's.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { copyInto, CP_BYTES, type KernelCopy } from '../../src/client/copy';
import { listDataFiles } from '../../src/shared/checksums';
import { makeBook, makeFile, tmpDir, treeDigest } from '../support/data';

/** The mode a file created by this process gets (0o666 less the umask). */
function newFileMode(): number {
  const probe = path.join(tmpDir('mode-'), 'probe');
  writeFileSync(probe, '');
  return statSync(probe).mode & 0o777;
}

function failing(code: string): KernelCopy & { calls: number } {
  const f = Object.assign(
    async () => {
      f.calls++;
      throw Object.assign(new Error(`${code}: injected`), { code });
    },
    { calls: 0 },
  );
  return f;
}

async function copied(source: string, kernelCopy?: KernelCopy): Promise<{ target: string; reported: number }> {
  const { directory, files } = await listDataFiles(source);
  const target = path.join(tmpDir('staging-'), 'data');
  let reported = 0;
  await copyInto(files, directory, target, (n) => (reported += n), kernelCopy);
  return { target, reported };
}

function sampleBook(): string {
  const dir = makeBook(path.join(tmpDir('book-'), 'book'), 7, 300_001);
  writeFileSync(path.join(dir, 'raw', 'empty.dat'), '');
  makeFile(path.join(dir, 'raw', 'deep', 'er', 'x.dat'), 1);
  return dir;
}

describe('copying into staging', () => {
  test('a file and a book are copied byte for byte; copies get a new file mode, not the source mode', async () => {
    const file = makeFile(path.join(tmpDir('src-'), 'f.bin'), 3_000_017);
    chmodSync(file, 0o600);
    const one = await copied(file);
    expect(treeDigest(one.target)).toEqual(treeDigest(file));
    expect(one.reported).toBe(3_000_017);
    expect(statSync(one.target).mode & 0o777).toBe(newFileMode());

    const book = sampleBook();
    const whole = await copied(book);
    expect(treeDigest(whole.target)).toEqual(treeDigest(book));
    expect(whole.reported).toBe((await listDataFiles(book)).files.reduce((s, f) => s + f.size, 0));
  });

  test('a large file (copied by the system\'s cp) is copied byte for byte, with a new file\'s mode; nothing else is left beside it', async () => {
    const file = makeFile(path.join(tmpDir('src-'), 'big.bin'), CP_BYTES + 4097);
    chmodSync(file, 0o600);
    const one = await copied(file);
    expect(treeDigest(one.target)).toEqual(treeDigest(file));
    expect(statSync(one.target).mode & 0o777).toBe(newFileMode());
    expect(readdirSync(path.dirname(one.target))).toEqual(['data']);
  });

  test('across devices (tmpfs to the temporary directory\'s filesystem)', async () => {
    const shm = '/dev/shm';
    if (!existsSync(shm) || statSync(shm).dev === statSync(os.tmpdir()).dev) return;
    const dir = mkdtempSync(path.join(shm, 'librarian-copy-'));
    try {
      const file = makeFile(path.join(dir, 'f.bin'), 2_000_003);
      expect(treeDigest((await copied(file)).target)).toEqual(treeDigest(file));
      const book = makeBook(path.join(dir, 'book'), 4, 70_000);
      expect(treeDigest((await copied(book)).target)).toEqual(treeDigest(book));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.each(['EXDEV', 'ENOSYS', 'EOPNOTSUPP', 'EINVAL'])('where the kernel cannot copy (%s), the bytes are streamed instead', async (code) => {
    const file = makeFile(path.join(tmpDir('src-'), 'f.bin'), 5_000_011);
    const kernel = failing(code);
    const one = await copied(file, kernel);
    expect(kernel.calls).toBe(1);
    expect(treeDigest(one.target)).toEqual(treeDigest(file));
    expect(statSync(one.target).mode & 0o777).toBe(newFileMode());

    const book = sampleBook();
    const bookKernel = failing(code);
    const whole = await copied(book, bookKernel);
    expect(bookKernel.calls).toBe((await listDataFiles(book)).files.length);
    expect(treeDigest(whole.target)).toEqual(treeDigest(book));
  });

  test('other errors are not hidden by the fallback (a full disk stays a full disk)', async () => {
    const file = makeFile(path.join(tmpDir('src-'), 'f.bin'), 1000);
    await expect(copied(file, failing('ENOSPC'))).rejects.toMatchObject({ code: 'ENOSPC' });
    const target = path.join(tmpDir('staging-'), 'missing-dir', 'data');
    mkdirSync(path.dirname(path.dirname(target)), { recursive: true });
    await expect(copyInto((await listDataFiles(file)).files, false, target, () => undefined)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
