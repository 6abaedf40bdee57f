/**
 * Copying an upload into a staging area on a shared filesystem. The kernel copies
 * (`fs.copyFile`: libuv tries copy_file_range, then sendfile, so the bytes never pass through
 * this process); where the kernel cannot (an error that says the operation is unsupported
 * there), the file is streamed through user space in large chunks instead.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { DataFile } from '../shared/checksums';
import { inParallel } from '../shared/inParallel';

/** Errors meaning "the kernel cannot copy between these two files", not "the copy cannot be made". */
const UNSUPPORTED = new Set(['ENOSYS', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EINVAL', 'ENOTTY']);

/** Files copied at once: enough to keep libuv's four threads busy with a book's small files. */
const IN_FLIGHT = 4;

export type KernelCopy = (from: string, to: string) => Promise<void>;

/**
 * The mode a new file gets here (0o666 less the umask). Copies get it as streamed files did:
 * `copyFile` would give them the source's mode, and a source readable only by its owner would
 * leave the server (often another account) unable to verify the copy.
 */
async function createdMode(file: string): Promise<number> {
  const h = await fs.open(file, 'w');
  try {
    return (await h.stat()).mode & 0o777;
  } finally {
    await h.close();
  }
}

async function copyOne(from: string, to: string, mode: number, kernelCopy: KernelCopy): Promise<void> {
  try {
    await kernelCopy(from, to);
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
export async function copyInto(files: DataFile[], directory: boolean, target: string, onBytes: (n: number) => void, kernelCopy: KernelCopy = (a, b) => fs.copyFile(a, b)): Promise<void> {
  if (!directory) {
    await copyOne(files[0]!.absolute, target, await createdMode(target), kernelCopy);
    onBytes(files[0]!.size);
    return;
  }
  await fs.mkdir(target, { recursive: true });
  for (const dir of new Set(files.map((f) => path.dirname(f.relative)))) if (dir !== '.') await fs.mkdir(path.join(target, dir), { recursive: true });
  if (files.length === 0) return;
  const mode = await createdMode(path.join(target, files[0]!.relative));
  await inParallel(files, IN_FLIGHT, async (f) => {
    await copyOne(f.absolute, path.join(target, f.relative), mode, kernelCopy);
    onBytes(f.size);
  });
}
