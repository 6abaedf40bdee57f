/**
 * Hashing files and books. File hashing runs on a pool of worker threads: a book's files are
 * hashed in parallel on all cores, and the event loop stays free for heartbeats and HTTP.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { Piscina } from 'piscina';
import { notAcceptable } from '../errors';
import { combineDigests, formatChecksum } from './format';
import type { Algorithm } from './hashers';

export interface DataFile {
  /** Path relative to the hashed root ("" for a single file). */
  relative: string;
  absolute: string;
  size: number;
  mtimeMs: number;
}

/**
 * The regular files of a file or directory, sorted. Anything else (symbolic links, devices,
 * sockets) is refused: a Librarian stores only regular files and directories.
 */
export async function listDataFiles(root: string): Promise<{ directory: boolean; files: DataFile[] }> {
  const st = await lstat(root);
  if (st.isFile()) return { directory: false, files: [{ relative: '', absolute: root, size: st.size, mtimeMs: st.mtimeMs }] };
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
        files.push({ relative: r, absolute: abs, size: s.size, mtimeMs: s.mtimeMs });
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
  /** Digests already known for files whose size and mtime still match (e.g. computed on upload). */
  known?: Record<string, { size: number; mtimeMs: number; digest: string }>;
  /** Read no faster than this on average since `sinceMs`, counting `bytesBefore` already read then (audits). */
  pace?: Pace;
}

export interface Pace {
  bytesPerSecond: number;
  sinceMs: number;
  bytesBefore: number;
}

// Worker threads load compiled JavaScript; from the TypeScript sources (tests) use the build's.
const WORKER = __filename.endsWith('.ts') ? path.resolve(__dirname, '../../../dist/shared/checksums/worker.js') : path.resolve(__dirname, 'worker.js');

export class ChecksumPool {
  private pool?: Piscina;
  constructor(private readonly threads: number) {}

  private get workers(): Piscina {
    this.pool ??= new Piscina({ filename: WORKER, maxThreads: this.threads, minThreads: 0, idleTimeout: 30_000 });
    return this.pool;
  }

  /** Hashes a file or a directory with the algorithm; directories get dirhash semantics. */
  async hashPath(root: string, algorithm: Algorithm, opts: HashOptions = {}): Promise<HashResult> {
    const { directory, files } = await listDataFiles(root);
    const total = files.reduce((s, f) => s + f.size, 0);
    // One shared counter per file, written by the worker threads as they read, and their sum last
    // (what a paced read compares with its allowance, whichever thread reads).
    const progress = new BigInt64Array(new SharedArrayBuffer(8 * (files.length + 1)));
    const totalSlot = files.length;
    const timer = opts.onProgress
      ? setInterval(() => opts.onProgress!(Number(progress.subarray(0, totalSlot).reduce((s, v) => s + v, 0n)), total), 1000)
      : undefined;
    try {
      const digests = await Promise.all(
        files.map(async (f, slot) => {
          const k = opts.known?.[f.relative];
          if (k && k.size === f.size && k.mtimeMs === f.mtimeMs) {
            progress[slot] = BigInt(f.size);
            return k.digest;
          }
          return (await this.workers.run({ path: f.absolute, algorithm, progress, slot, totalSlot, pace: opts.pace }, { signal: opts.signal })) as string;
        }),
      );
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
