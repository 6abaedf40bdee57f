/**
 * Copying an upload into a staging area on a shared filesystem. The kernel copies
 * (`fs.copyFile`: libuv tries copy_file_range, then sendfile, so the bytes never pass through
 * this process; large files by the system's `cp`, see CP_BYTES); where the kernel cannot (an
 * error that says the operation is unsupported there), the file is streamed through user space
 * in large chunks instead.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import type { DataFile } from '../shared/checksums';
import { inParallel } from '../shared/inParallel';

/** Errors meaning "the kernel cannot copy between these two files", not "the copy cannot be made". */
const UNSUPPORTED = new Set(['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOTTY']);

/** Files copied at once: enough to keep libuv's four threads busy with a book's small files. */
const IN_FLIGHT = 4;

export type KernelCopy = (from: string, to: string, size: number) => Promise<void>;

/**
 * Files at least this large are copied by the system's `cp` where there is one. `fs.copyFile`
 * truncates its target before copying (libuv), and ext4 flushes a file truncated to 0 when it is
 * closed (auto_da_alloc): closing a 2 GiB copy took 0.77 s of the 1.4 s `copyFile` took, which
 * `cp`, creating a new file, does not pay (0.7 s; both one copy_file_range).
 */
export const CP_BYTES = 64 << 20;

const execFileAsync = promisify(execFile);

async function kernelCopy(from: string, to: string, size: number): Promise<void> {
  if (size >= CP_BYTES && process.platform !== 'win32') {
    try {
      await execFileAsync('cp', ['--', from, to]);
      return;
    } catch {
      // No cp, or it failed: copyFile does the copy or says why it cannot.
    }
  }
  await fs.copyFile(from, to);
}

/**
 * The mode a new file gets in `dir` (0o666 less the umask). Copies get it as streamed files did:
 * a copy would keep the source's mode, and a source readable only by its owner would leave the
 * server (often another account) unable to verify the copy.
 */
async function createdMode(dir: string): Promise<number> {
  const probe = path.join(dir, `.librarian-mode-${randomUUID()}`);
  const h = await fs.open(probe, 'wx');
  try {
    return (await h.stat()).mode & 0o777;
  } finally {
    await h.close();
    await fs.rm(probe, { force: true });
  }
}

async function copyOne(from: string, to: string, size: number, mode: number, copy: KernelCopy): Promise<void> {
  try {
    await copy(from, to, size);
  } catch (e) {
    if (!UNSUPPORTED.has((e as NodeJS.ErrnoException).code ?? '')) throw e;
    await pipeline(createReadStream(from, { highWaterMark: 4 << 20 }), createWriteStream(to, { highWaterMark: 4 << 20 }));
  }
  await fs.chmod(to, mode);
}

/**
 * Copies a file, or a directory's files (as listed by listDataFiles), to `target`; `onBytes` is
 * told each file's size once it is copied.
 */
export async function copyInto(files: DataFile[], directory: boolean, target: string, onBytes: (n: number) => void, copy: KernelCopy = kernelCopy): Promise<void> {
  if (!directory) {
    await copyOne(files[0]!.absolute, target, files[0]!.size, await createdMode(path.dirname(target)), copy);
    onBytes(files[0]!.size);
    return;
  }
  await fs.mkdir(target, { recursive: true });
  for (const dir of new Set(files.map((f) => path.dirname(f.relative)))) if (dir !== '.') await fs.mkdir(path.join(target, dir), { recursive: true });
  // Probed beside the book, not in it: a probe left by a crash must not become part of the data.
  const mode = await createdMode(path.dirname(target));
  await inParallel(files, IN_FLIGHT, async (f) => {
    await copyOne(f.absolute, path.join(target, f.relative), f.size, mode, copy);
    onBytes(f.size);
  });
}
