// Runs in a worker thread (see ChecksumPool): hashes one file, reporting bytes read through a
// shared counter so the caller can heartbeat without messages. Synchronous reads into one
// reused buffer: this thread does nothing else, and it avoids a stream's allocations per chunk.
import { closeSync, openSync, readSync } from 'node:fs';
import { createHasher, type Algorithm } from './hashers';

const buffer = Buffer.allocUnsafe(1 << 20);

export default async function hashFile(task: { path: string; algorithm: Algorithm; progress: BigInt64Array; slot: number }): Promise<string> {
  const hasher = await createHasher(task.algorithm);
  const fd = openSync(task.path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hasher.update(buffer.subarray(0, n));
      Atomics.add(task.progress, task.slot, BigInt(n));
    }
  } finally {
    closeSync(fd);
  }
  return hasher.digest();
}
