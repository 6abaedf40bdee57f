// Runs in a worker thread (see ChecksumPool): hashes one file, reporting bytes read through a
// shared counter so the caller can heartbeat without messages. Synchronous reads into one
// reused buffer: this thread does nothing else, and it avoids a stream's allocations per chunk.
import { closeSync, openSync, readSync } from 'node:fs';
import { createHasher, READ_BYTES, type Algorithm } from './hashers';
import type { Pace } from './pool';

const buffer = Buffer.allocUnsafe(READ_BYTES);
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export default async function hashFile(task: { path: string; algorithm: Algorithm; progress: BigInt64Array; slot: number; totalSlot: number; pace?: Pace }): Promise<string> {
  const hasher = createHasher(task.algorithm);
  const fd = openSync(task.path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      hasher.update(buffer.subarray(0, n));
      Atomics.add(task.progress, task.slot, BigInt(n));
      const read = Atomics.add(task.progress, task.totalSlot, BigInt(n)) + BigInt(n);
      if (task.pace) {
        // Block this thread (it does nothing else) until the bytes read by all threads are within
        // the allowance: the disk sees a steady rate, never a burst at full speed.
        const { bytesPerSecond, sinceMs, bytesBefore } = task.pace;
        const wait = sinceMs + ((bytesBefore + Number(read)) / bytesPerSecond) * 1000 - Date.now();
        if (wait > 0) Atomics.wait(sleeper, 0, 0, wait);
      }
    }
  } finally {
    closeSync(fd);
  }
  return hasher.digest();
}
