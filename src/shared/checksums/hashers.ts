// Streaming hashers for every supported algorithm: xxh3-128 from xxhash-addon (the xxHash C
// library through Node-API, SIMD chosen at run time; 3x hash-wasm's WebAssembly here), the others
// from Node's OpenSSL (faster than their WebAssembly versions; see docs/benchmarks.md).
import { createHash } from 'node:crypto';
import { XXHash128 } from 'xxhash-addon';

export const ALGORITHMS = ['xxh3', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const DEFAULT_ALGORITHM: Algorithm = 'xxh3';
export const HEX_LENGTH: Record<Algorithm, number> = { xxh3: 32, md5: 32, sha1: 40, sha256: 64, sha512: 128 };

/**
 * Bytes per read when hashing a file. Small enough that the buffer stays in the CPU's L2 cache
 * between the kernel's copy into it and the hash reading it: reading a page-cached 2 GiB file
 * took 0.24 s in 128 KiB reads and 0.32-0.40 s in 1 MiB reads on the benchmark machine (xxh3
 * itself hashes at over 30 GB/s from cache), which put xxh3 level with `xxhsum`.
 */
export const READ_BYTES = 128 << 10;

export interface Hasher {
  update(data: Uint8Array): void;
  digest(): string;
  /** Starts over, for the next file: cheaper than a new hasher. */
  reset(): void;
}

/**
 * Seed 0 as the addon's 8-byte canonical seed. The addon checks no arguments (it is built
 * without ENABLE_RUNTIME_TYPE_CHECK): a missing seed or a non-Buffer argument crashes the
 * process, so both are always supplied from here.
 */
const SEED = Buffer.alloc(8);

function asBuffer(d: Uint8Array): Buffer {
  return Buffer.isBuffer(d) ? d : Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

export function createHasher(algorithm: Algorithm): Hasher {
  if (algorithm === 'xxh3') {
    const h = new XXHash128(SEED);
    // The canonical (big-endian) digest, as xxhsum prints it and the SO Librarian stores it.
    return { update: (d) => h.update(asBuffer(d)), digest: () => h.digest().toString('hex'), reset: () => h.reset() };
  }
  let h = createHash(algorithm);
  return {
    update: (d) => void h.update(d),
    digest: () => h.digest('hex'),
    reset: () => {
      h = createHash(algorithm);
    },
  };
}
