/**
 * Shared by the benchmark scripts: data generation, timing, external tools, and real
 * Librarians (the same harness the end-to-end tests use).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const BENCH_DIR = process.env.BENCH_DIR ?? path.join(os.tmpdir(), 'librarian-bench');
mkdirSync(BENCH_DIR, { recursive: true });

/** A file of random bytes (kept between runs). */
export function randomFile(file: string, size: number): string {
  if (existsSync(file) && statSync(file).size === size) return file;
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  const chunk = 16 * 1024 * 1024;
  for (let done = 0; done < size; done += chunk) writeSync(fd, randomBytes(Math.min(chunk, size - done)));
  closeSync(fd);
  return file;
}

export function randomBook(dir: string, count: number, size: number): string {
  for (let i = 0; i < count; i++) randomFile(path.join(dir, `part_${String(i).padStart(4, '0')}.dat`), size);
  return dir;
}

/** Reads a path once so every contender starts with a warm page cache. */
export function warm(p: string): void {
  spawnSync('sh', ['-c', `find "${p}" -type f -exec cat {} + > /dev/null`]);
}

export async function best(runs: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e9);
  }
  return min;
}

export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

export function sh(cmd: string): void {
  execFileSync('sh', ['-c', cmd], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export function mbps(bytes: number, seconds: number): string {
  return (bytes / 1e6 / seconds).toFixed(0);
}

export function machine(): string {
  return `${os.cpus()[0]?.model ?? 'cpu'} x${os.availableParallelism()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}`;
}

/** Starts the shared servers the Librarian harness needs (Temporal, and PostgreSQL if asked). */
export async function startInfrastructure(postgres: boolean): Promise<() => Promise<void>> {
  const { startTemporal } = await import('../test/support/temporalServer');
  const { startPostgres } = await import('../test/support/postgres');
  const stops: (() => Promise<void>)[] = [];
  if (!process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS) {
    const t = await startTemporal();
    process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS = t.address;
    stops.push(t.stop);
  }
  if (postgres && !process.env.LIBRARIAN_TEST_PG_URL) {
    const pg = await startPostgres();
    process.env.LIBRARIAN_TEST_PG_URL = pg.url;
    stops.push(async () => pg.stop());
  }
  return async () => {
    for (const s of stops.reverse()) await s();
  };
}
