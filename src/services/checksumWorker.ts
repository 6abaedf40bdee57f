// Runs in a worker thread (see ChecksumPool): hashes one file, reporting bytes read through a
// shared counter so the caller can heartbeat without messages.
import { createReadStream } from 'node:fs';
import { createHasher, type Algorithm } from './hashers';

export default async function hashFile(task: { path: string; algorithm: Algorithm; progress: BigInt64Array; slot: number }): Promise<string> {
  const hasher = await createHasher(task.algorithm);
  const stream = createReadStream(task.path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream) {
    hasher.update(chunk as Buffer);
    Atomics.add(task.progress, task.slot, BigInt((chunk as Buffer).length));
  }
  return hasher.digest();
}
