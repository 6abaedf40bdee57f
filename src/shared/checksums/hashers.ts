// Streaming hashers for every supported algorithm: xxh3-128 from hash-wasm (WebAssembly, ~2.4 GB/s
// here), the others from Node's OpenSSL (faster than their WebAssembly versions; see docs/benchmarks.md).
import { createHash } from 'node:crypto';
import { createXXHash128 } from 'hash-wasm';

export const ALGORITHMS = ['xxh3', 'md5', 'sha1', 'sha256', 'sha512'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
export const DEFAULT_ALGORITHM: Algorithm = 'xxh3';
export const HEX_LENGTH: Record<Algorithm, number> = { xxh3: 32, md5: 32, sha1: 40, sha256: 64, sha512: 128 };

export interface Hasher {
  update(data: Uint8Array): void;
  digest(): string;
  /** Starts over, for the next file: cheaper than a new hasher (xxh3's is a WebAssembly instance). */
  reset(): void;
}

export async function createHasher(algorithm: Algorithm): Promise<Hasher> {
  if (algorithm === 'xxh3') {
    const h = await createXXHash128();
    h.init();
    return { update: (d) => void h.update(d), digest: () => h.digest('hex'), reset: () => void h.init() };
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
