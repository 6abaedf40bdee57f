/** Filesystem helpers for data in stores, staging areas and drives. */
import fs from 'node:fs/promises';
import path from 'node:path';

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Removes a file or tree, including read-only ones. */
export async function removeTree(p: string): Promise<void> {
  try {
    await fs.rm(p, { recursive: true, force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    await makeWritable(p);
    await fs.rm(p, { recursive: true, force: true });
  }
}

async function walkTree(p: string, fn: (p: string, isDir: boolean) => Promise<void>): Promise<void> {
  const st = await fs.lstat(p);
  if (st.isDirectory()) {
    for (const e of await fs.readdir(p)) await walkTree(path.join(p, e), fn);
  }
  await fn(p, st.isDirectory());
}

export async function makeReadOnly(p: string): Promise<void> {
  await walkTree(p, (q, dir) => fs.chmod(q, dir ? 0o555 : 0o444));
}

async function makeWritable(p: string): Promise<void> {
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    await fs.chmod(p, 0o755);
    for (const e of await fs.readdir(p)) await makeWritable(path.join(p, e));
  } else await fs.chmod(p, 0o644);
}

export async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await walkTree(p, (q) => fs.lchown(q, uid, gid));
}

/** Removes the empty directories below `root` (not root itself). */
export async function pruneEmptyDirs(root: string): Promise<void> {
  for (const e of await fs.readdir(root, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const p = path.join(root, e.name);
    await pruneEmptyDirs(p);
    if ((await fs.readdir(p)).length === 0) await fs.rmdir(p);
  }
}

/**
 * mkdir -p that reports what went wrong: Node's recursive mkdir says ENOENT on a read-only disk,
 * which reads as "try again", where EROFS is the truth. Returns the first directory it made, if
 * any (the top of what a failed step should remove again).
 */
export async function makeDirs(dir: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      await fs.stat(d);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || d === path.dirname(d)) throw e;
      missing.push(d);
    }
  }
  let made: string | undefined;
  for (const d of missing.reverse()) {
    try {
      await fs.mkdir(d);
      made ??= d;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return made;
}

/**
 * Removes `dir` and its parents up to and including `top` while they are empty (directories a
 * failed step made on its way); never fails.
 */
export async function removeEmptyDirs(dir: string, top: string): Promise<void> {
  for (let d = dir; d === top || d.startsWith(top + path.sep); d = path.dirname(d)) {
    try {
      await fs.rmdir(d);
    } catch {
      return;
    }
  }
}

/** Bytes of a file, or of every file under a directory. */
export async function dataSize(p: string): Promise<number> {
  const st = await fs.lstat(p);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const e of await fs.readdir(p)) n += await dataSize(path.join(p, e));
  return n;
}

/** Errors that say data cannot be read where it should be (gone, or the disk refuses). */
export const UNREADABLE_CODES = new Set(['ENOENT', 'EACCES', 'EPERM', 'EIO', 'ENOTDIR', 'ELOOP', 'ESTALE']);

export function isUnreadable(e: unknown): e is NodeJS.ErrnoException {
  return UNREADABLE_CODES.has((e as NodeJS.ErrnoException)?.code ?? '');
}

/**
 * Whether we could create `dir` (or write into it): its nearest existing ancestor is a writable
 * directory. A v2 peer creates a staging directory only when the data arrives.
 */
export async function writableAncestor(dir: string): Promise<boolean> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if (!(await fs.stat(d)).isDirectory()) return false;
      await fs.access(d, fs.constants.W_OK);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || d === path.dirname(d)) return false;
    }
  }
}
