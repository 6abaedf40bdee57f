import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { ChecksumPool } from '../../src/shared/checksums';
import type { Algorithm } from '../../src/shared/checksums';

export function tmpDir(prefix = 'data-'): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function makeFile(file: string, size: number): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, randomBytes(size));
  return file;
}

/** A directory of `count` random files of `size` bytes in a couple of subdirectories. */
export function makeBook(dir: string, count: number, size: number): string {
  for (let i = 0; i < count; i++) makeFile(path.join(dir, i % 2 ? 'raw' : 'meta', `part_${String(i).padStart(4, '0')}.dat`), size + i);
  return dir;
}

const pool = new ChecksumPool(2);
export async function checksumOf(p: string, algorithm: Algorithm = 'xxh3'): Promise<{ checksum: string; size: number }> {
  const r = await pool.hashPath(p, algorithm);
  return { checksum: r.checksum, size: r.size };
}
export async function closeChecksums(): Promise<void> {
  await pool.close();
}

function sha256File(p: string): string {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(1 << 20);
  const fd = openSync(p, 'r');
  try {
    for (let n = readSync(fd, buf); n > 0; n = readSync(fd, buf)) h.update(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

/** sha256 of every file under p, keyed by relative path: equal maps mean byte-identical trees. */
export function treeDigest(p: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    const st = statSync(abs);
    if (st.isDirectory()) for (const e of readdirSync(abs).sort()) walk(path.join(abs, e), rel ? `${rel}/${e}` : e);
    else out[rel] = sha256File(abs);
  };
  walk(p, '');
  return out;
}

/** Every entry below dir, relative ("" when dir is missing). */
export function listTree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const e of readdirSync(abs).sort()) {
      const r = rel ? `${rel}/${e}` : e;
      out.push(r);
      if (statSync(path.join(abs, e)).isDirectory()) walk(path.join(abs, e), r);
    }
  };
  walk(dir, '');
  return out;
}

/** A member of a tar stream built in memory: a file (with its bytes), a directory or a symbolic link. */
export type TarMember = { name: string; data: Buffer; mode?: number } | { name: string; directory: true } | { name: string; symlink: string };

/** The whole tar stream in memory (an HTTP upload's body). */
export function tarBody(members: TarMember[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const m of members) {
    if ('directory' in m) pack.entry({ name: m.name, type: 'directory' });
    else if ('symlink' in m) pack.entry({ name: m.name, type: 'symlink', linkname: m.symlink });
    else pack.entry({ name: m.name, size: m.data.length, ...(m.mode !== undefined ? { mode: m.mode } : {}) }, m.data);
  }
  pack.finalize();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}
