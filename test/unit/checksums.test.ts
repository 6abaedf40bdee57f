import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { xxhash128 } from 'hash-wasm';
import { ChecksumPool, createHasher, INLINE_BYTES, parseChecksum, READ_BYTES, sameChecksum } from '../../src/shared/checksums';
import { LibrarianError } from '../../src/shared/errors';
import type { Algorithm } from '../../src/shared/checksums';

/**
 * Expected values computed with Python (hashlib, xxhash.xxh3_128) and the SO Librarian's dirhash
 * (checksumdir: per-file hex digests, sorted, hashed again) on the same tree.
 */
const VECTORS: Record<Algorithm, { file: string; dir: string }> = {
  md5: { file: '1da708a75e25110b1341d16814feb52d', dir: '8cf87f188b378be3ce86779a23f5e883' },
  xxh3: { file: '548512d98989de2d776474c39d20f9aa', dir: 'f3fde4e4f19fa1c9deda21fffbc74800' },
  sha1: { file: '4db96121b29822369e89d5e17ff2582fc47e10a2', dir: '9232384805a6f2e41028e7ec4f48f96d27f08162' },
  sha256: { file: 'b57b64b198d5d59ce5a22a9b9f25e72a7d081476d432051aa923f3dbebb90934', dir: '33bf322b3e56ee50439a78d59c5a03aabf4bb8554ec5b748eeef40b65a93348e' },
  sha512: {
    file: '225ad35194eb4473f6a954a42e50d3ae437d234d1895a396de833e59487a92c56d485f672f5ff88d4dad732366751b5663ed6618c909c5f4179e92673a6329c4',
    dir: '8800dc4f20332c14fa120739f117befa1f5eef392bd60b69995ad884a5158d8cb9ea68433f5f724705cd71207b8fca18466c1bec3192f2cdc3942c8b0b59459e',
  },
};

function book(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'book-'));
  mkdirSync(path.join(dir, 'b/d'), { recursive: true });
  writeFileSync(path.join(dir, 'a.txt'), 'alpha\n');
  writeFileSync(path.join(dir, 'b/c.dat'), Buffer.concat(Array.from({ length: 1000 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i)))));
  writeFileSync(path.join(dir, 'b/d/e.bin'), '');
  writeFileSync(path.join(dir, 'z.txt'), 'omega');
  return dir;
}

describe('checksums', () => {
  const pool = new ChecksumPool(2);
  afterAll(() => pool.close());

  test.each(Object.keys(VECTORS) as Algorithm[])('%s agrees with the SO Librarian on files and books', async (algorithm) => {
    const dir = book();
    const file = await pool.hashPath(path.join(dir, 'b/c.dat'), algorithm);
    expect(file).toEqual({ checksum: `${algorithm}:::${VECTORS[algorithm].file}`, size: 256_000, directory: false, digests: { '': VECTORS[algorithm].file } });
    const progress: number[] = [];
    const whole = await pool.hashPath(dir, algorithm, { onProgress: (d) => progress.push(d) });
    expect(whole.checksum).toBe(`${algorithm}:::${VECTORS[algorithm].dir}`);
    expect(whole.size).toBe(256_000 + 6 + 5);
    expect(Object.keys(whole.digests)).toEqual(['a.txt', 'b/c.dat', 'b/d/e.bin', 'z.txt']);
    expect(progress[progress.length - 1]).toBe(256_011);
  });

  test('renaming files inside a book does not change its checksum (dirhash ignores names)', async () => {
    const a = book();
    const b = book();
    const fs = await import('node:fs/promises');
    await fs.rename(path.join(b, 'z.txt'), path.join(b, 'renamed.txt'));
    expect((await pool.hashPath(a, 'xxh3')).checksum).toBe((await pool.hashPath(b, 'xxh3')).checksum);
  });

  test('symbolic links are refused', async () => {
    const dir = book();
    symlinkSync('/etc/hostname', path.join(dir, 'link'));
    await expect(pool.hashPath(dir, 'xxh3')).rejects.toThrow(/symbolic link or special file/);
  });


  test('paced hashing reads no faster than asked, across threads and counting what came before; same checksum', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'paced-'));
    for (const f of ['a', 'b']) writeFileSync(path.join(dir, f), Buffer.alloc(3 * 2 ** 20, f));
    const plain = await pool.hashPath(dir, 'xxh3');
    // 6 MiB at 12 MiB/s, with 3 MiB counted as already read at the start: at least 0.75 s.
    const t0 = Date.now();
    const paced = await pool.hashPath(dir, 'xxh3', { pace: { bytesPerSecond: 12 * 2 ** 20, sinceMs: t0, bytesBefore: 3 * 2 ** 20 } });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(740);
    expect(paced).toEqual(plain);
  });
  // Sizes around xxh3's internal boundaries (16, 128, 240 bytes; 1 KiB stripes, 64 KiB blocks), the
  // read buffer (READ_BYTES), and past INLINE_BYTES so that the worker threads hash it.
  const SIZES = [0, 1, 16, 17, 128, 129, 240, 241, 1024, 65_536 + 3, READ_BYTES, READ_BYTES + 1, 2 ** 20 + 7, 3 * 2 ** 20 + 13, INLINE_BYTES + 1];

  test('native xxh3 digests equal those of the WebAssembly hasher before it (hash-wasm), whole or streamed in odd chunks', async () => {
    for (const size of SIZES) {
      const data = randomBytes(size);
      const expected = await xxhash128(data);
      const whole = createHasher('xxh3');
      whole.update(data);
      const chunked = createHasher('xxh3');
      for (let at = 0; at < size; at += 100_003) chunked.update(new Uint8Array(data.buffer, data.byteOffset + at, Math.min(100_003, size - at)));
      expect([size, whole.digest(), chunked.digest()]).toEqual([size, expected, expected]);
      // Reset starts over (the receiver reuses one hasher for a tar's members).
      chunked.reset();
      chunked.update(data);
      expect(chunked.digest()).toBe(expected);
    }
  });

  test('files hashed on the calling thread (small jobs) and by the worker threads (large ones) give the digests of hash-wasm', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sizes-'));
    const expected: Record<string, string> = {};
    for (const size of SIZES) {
      const data = randomBytes(size);
      writeFileSync(path.join(dir, `f${size}`), data);
      expected[`f${size}`] = await xxhash128(data);
    }
    for (const size of SIZES) {
      // Alone: on this thread up to INLINE_BYTES, in a worker above.
      expect((await pool.hashPath(path.join(dir, `f${size}`), 'xxh3')).checksum).toBe(`xxh3:::${expected[`f${size}`]}`);
    }
    // Together (more than INLINE_BYTES): every file in the worker threads.
    expect((await pool.hashPath(dir, 'xxh3')).digests).toEqual(expected);
  });

  test('a book of many tiny files (a small job, hashed on this thread a few files at a time) gets the same digests', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tiny-'));
    const expected: Record<string, string> = {};
    for (let i = 0; i < 2000; i++) {
      const data = Buffer.from(`file ${i}`);
      writeFileSync(path.join(dir, `f${i}`), data);
      expected[`f${i}`] = await xxhash128(data);
    }
    const r = await pool.hashPath(dir, 'xxh3');
    expect(r.digests).toEqual(expected);
    const h = createHasher('xxh3');
    for (const d of Object.values(expected).sort()) h.update(Buffer.from(d));
    expect(r.checksum).toBe(`xxh3:::${h.digest()}`);
  });

  test('checksum strings: algorithm prefix, bare hex is md5, case-insensitive comparison', () => {
    expect(parseChecksum('xxh3:::548512D98989DE2D776474C39D20F9AA')).toEqual({ algorithm: 'xxh3', hex: '548512d98989de2d776474c39d20f9aa' });
    expect(parseChecksum('1da708a75e25110b1341d16814feb52d')).toEqual({ algorithm: 'md5', hex: '1da708a75e25110b1341d16814feb52d' });
    expect(sameChecksum('md5:::1da708a75e25110b1341d16814feb52d', '1DA708A75E25110B1341D16814FEB52D')).toBe(true);
    expect(sameChecksum('xxh3:::548512d98989de2d776474c39d20f9aa', 'md5:::548512d98989de2d776474c39d20f9aa')).toBe(false);
    for (const bad of ['crc32:::abcd', 'xxh3:::zz', 'xxh3:::abc', 'sha256:::' + 'a'.repeat(63), '']) {
      expect(() => parseChecksum(bad)).toThrow(LibrarianError);
    }
  });

  test('a refused checksum is explained with the algorithm it names, and the accepted ones', () => {
    const refusal = (value: string) => {
      try {
        parseChecksum(value);
      } catch (e) {
        expect(e).toBeInstanceOf(LibrarianError);
        return [(e as LibrarianError).status, (e as LibrarianError).reason, (e as LibrarianError).suggestedRemedy];
      }
      throw new Error(`${value} was accepted`);
    };
    const forms =
      'Write "<algorithm>:::<hex digits>" with one of xxh3 (32 hex digits), md5 (32 hex digits), sha1 (40 hex digits), sha256 (64 hex digits), sha512 (128 hex digits); a bare hex string is md5.';
    const sha = 'b57b64b198d5d59ce5a22a9b9f25e72a7d081476d432051aa923f3dbebb90934';
    expect(refusal(`SHA256:::${sha}`)).toEqual([400, 'Unknown checksum algorithm "SHA256" (algorithm names are lower case: "sha256"); accepted algorithms: xxh3, md5, sha1, sha256, sha512.', forms]);
    expect(refusal('crc32:::abcd')).toEqual([400, 'Unknown checksum algorithm "crc32"; accepted algorithms: xxh3, md5, sha1, sha256, sha512.', forms]);
    expect(refusal(`:::${sha}`)).toEqual([400, 'Unknown checksum algorithm ""; accepted algorithms: xxh3, md5, sha1, sha256, sha512.', forms]);
    expect(refusal(`sha256:::${sha.slice(1)}`)).toEqual([400, `"sha256:::${sha.slice(1)}" is not a valid sha256 checksum: sha256 takes 64 hex digits, this has 63.`, forms]);
    expect(refusal('xxh3:::zz')).toEqual([400, '"xxh3:::zz" is not a valid xxh3 checksum: xxh3 takes 32 hex digits, "zz" is not hex.', forms]);
    expect(refusal(sha)).toEqual([400, `"${sha}" is not a valid checksum: a bare hex string is an md5 digest of 32 hex digits, this one has 64.`, forms]);
    expect(refusal(`sha256::${sha}`)).toEqual([400, `"sha256::${sha}" is not a checksum: it has no "<algorithm>:::" prefix and is not a bare md5 hex digest.`, forms]);
    expect(parseChecksum(`sha256:::${sha.toUpperCase()}`)).toEqual({ algorithm: 'sha256', hex: sha });
  });
});
