/**
 * Hashing files and books. File hashing runs on a pool of worker threads: a book's files are
 * hashed in parallel on all cores, and the event loop stays free for heartbeats and HTTP. Small
 * jobs are hashed on the calling thread instead: starting a worker thread costs more (~50 ms each,
 * 180 ms for a 4-thread pool) than hashing a few MiB.
 */
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Piscina } from 'piscina';
import { notAcceptable } from '../errors';
import { inParallel } from '../inParallel';
import { combineDigests, formatChecksum } from './format';
import { createHasher, READ_BYTES, type Algorithm } from './hashers';

export interface DataFile {
  /** Path relative to the hashed root ("" for a single file). */
  relative: string;
  absolute: string;
  size: number;
  mtimeMs: number;
  /** The inode's change time: unlike mtime, no user can set it back after changing the data. */
  ctimeMs: number;
}

/**
 * The regular files of a file or directory, sorted. Anything else (symbolic links, devices,
 * sockets) is refused: a Librarian stores only regular files and directories.
 */
export async function listDataFiles(root: string): Promise<{ directory: boolean; files: DataFile[] }> {
  const st = await lstat(root);
  if (st.isFile()) return { directory: false, files: [{ relative: '', absolute: root, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs }] };
  if (!st.isDirectory()) {
    throw notAcceptable(`${root} is neither a regular file nor a directory.`, 'Upload regular files and directories only.');
  }
  const files: DataFile[] = [];
  const walk = async (dir: string, rel: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(abs, r);
      else if (e.isFile()) {
        const s = await lstat(abs);
        files.push({ relative: r, absolute: abs, size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs });
      } else {
        throw notAcceptable(`${abs} is a symbolic link or special file.`, 'A Librarian stores only regular files and directories; replace links with the files they point to.');
      }
    }
  };
  await walk(root, '');
  return { directory: true, files };
}

export interface HashResult {
  checksum: string;
  size: number;
  directory: boolean;
  /** Per-file hex digests (relative path → digest); one entry "" for a single file. */
  digests: Record<string, string>;
}

export interface HashOptions {
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  signal?: AbortSignal;
  /**
   * Digests already known for files whose size, mtime and ctime still match (computed as an
   * upload was received): any write since, or a change of mtime to hide one, changes the ctime.
   */
  known?: Record<string, { size: number; mtimeMs: number; ctimeMs: number; digest: string }>;
  /** Read no faster than this on average since `sinceMs`, counting `bytesBefore` already read then (audits). */
  pace?: Pace;
}

export interface Pace {
  bytesPerSecond: number;
  sinceMs: number;
  bytesBefore: number;
}

/**
 * Jobs of at most this many bytes are hashed on the calling thread, reading asynchronously (the
 * event loop is busy only for the hashing itself: about 2 ms per MiB at the slowest algorithm).
 */
export const INLINE_BYTES = 4 << 20;
/** Files hashed at once on the calling thread: enough to keep libuv's four I/O threads busy. */
const INLINE_FILES = 8;

export interface Listing {
  directory: boolean;
  files: DataFile[];
}

// Worker threads load compiled JavaScript; from the TypeScript sources (tests) use the build's.
const WORKER = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../../dist/shared/checksums/worker.js') : path.resolve(__dirname, 'worker.js');

export class ChecksumPool {
  private pool?: Piscina;
  constructor(private readonly threads: number) {}

  private get workers(): Piscina {
    // Loaded when first needed: small jobs never start the pool (INLINE_BYTES), and a command that
    // hashes one small file should not pay for loading it.
    if (!this.pool) {
      const { Piscina: Pool } = require('piscina') as typeof import('piscina');
      this.pool = new Pool({ filename: WORKER, maxThreads: this.threads, minThreads: 0, idleTimeout: 30_000 });
    }
    return this.pool;
  }

  /** Hashes a file or a directory with the algorithm; directories get dirhash semantics. */
  async hashPath(root: string, algorithm: Algorithm, opts: HashOptions = {}): Promise<HashResult> {
    return this.hashListed(await listDataFiles(root), algorithm, opts);
  }

  /** As hashPath, for files already listed (listDataFiles). */
  async hashListed({ directory, files }: Listing, algorithm: Algorithm, opts: HashOptions = {}): Promise<HashResult> {
    const total = files.reduce((s, f) => s + f.size, 0);
    const here = !opts.pace && total <= INLINE_BYTES;
    // One shared counter per file, written by the worker threads as they read, and their sum last
    // (what a paced read compares with its allowance, whichever thread reads).
    const progress = new BigInt64Array(new SharedArrayBuffer(8 * (files.length + 1)));
    const totalSlot = files.length;
    const timer = opts.onProgress
      ? setInterval(() => opts.onProgress!(Number(progress.subarray(0, totalSlot).reduce((s, v) => s + v, 0n)), total), 1000)
      : undefined;
    try {
      const digests: string[] = new Array(files.length);
      const hashOne = async (f: DataFile, slot: number) => {
        const k = opts.known?.[f.relative];
        if (k && k.size === f.size && k.mtimeMs === f.mtimeMs && k.ctimeMs === f.ctimeMs) {
          progress[slot] = BigInt(f.size);
          digests[slot] = k.digest;
        } else if (here) {
          digests[slot] = await hashHere(f.absolute, algorithm, progress, slot, opts.signal);
        } else {
          digests[slot] = (await this.workers.run({ path: f.absolute, algorithm, progress, slot, totalSlot, pace: opts.pace }, { signal: opts.signal })) as string;
        }
      };
      // On this thread a few files at a time (a book of many tiny files must not open them all at
      // once); the workers' queue bounds the rest.
      if (here) await inParallel(files, INLINE_FILES, hashOne);
      else await Promise.all(files.map(hashOne));
      opts.onProgress?.(total, total);
      const byPath = Object.fromEntries(files.map((f, i) => [f.relative, digests[i]!]));
      const hex = directory ? await combineDigests(algorithm, digests) : digests[0]!;
      return { checksum: formatChecksum(algorithm, hex), size: total, directory, digests: byPath };
    } finally {
      if (timer) clearInterval(timer);
    }
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
    this.pool = undefined;
  }
}

/** One file on the calling thread (see INLINE_BYTES). */
async function hashHere(file: string, algorithm: Algorithm, progress: BigInt64Array, slot: number, signal?: AbortSignal): Promise<string> {
  const hasher = createHasher(algorithm);
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      hasher.update(buffer.subarray(0, bytesRead));
      progress[slot]! += BigInt(bytesRead);
    }
  } finally {
    await handle.close();
  }
  return hasher.digest();
}
