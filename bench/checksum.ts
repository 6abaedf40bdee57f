/**
 * Checksum throughput: a 2 GiB file and a book of 200 x 10 MiB files, hashed by the Librarian's
 * ChecksumPool and by the usual command-line tools on the same data (warm page cache, best of 3).
 *   npx tsx bench/checksum.ts
 */
import os from 'node:os';
import path from 'node:path';
import { ChecksumPool } from '../src/shared/checksums';
import type { Algorithm } from '../src/shared/checksums';
import { BENCH_DIR, best, have, machine, mbps, randomBook, randomFile, sh, warm } from './common';

async function main() {
  const file = randomFile(path.join(BENCH_DIR, 'file-2g.bin'), 2 * 1024 ** 3);
  const book = randomBook(path.join(BENCH_DIR, 'book-200x10m'), 200, 10 * 1024 ** 2);
  const cores = os.availableParallelism();
  const rows: string[] = [];
  const row = (data: string, bytes: number, what: string, s: number, ref?: number) =>
    rows.push(`| ${data} | ${what} | ${s.toFixed(2)} | ${mbps(bytes, s)} | ${ref ? (ref / s).toFixed(2) : ''} |`);

  for (const [label, target, bytes] of [
    ['2 GiB file', file, 2 * 1024 ** 3],
    ['book 200 x 10 MiB', book, 200 * 10 * 1024 ** 2],
  ] as const) {
    warm(target);
    const isBook = target === book;
    const tool = async (cmd: string) => best(3, () => sh(isBook ? `find "${target}" -type f -print0 | xargs -0 ${cmd}` : `${cmd} "${target}"`));
    const toolParallel = async (cmd: string) => best(3, () => sh(`find "${target}" -type f -print0 | xargs -0 -P ${cores} -n 25 ${cmd}`));
    const refs: Partial<Record<string, number>> = {};
    if (have('xxhsum')) row(label, bytes, '`xxhsum -H2` (xxh3-128, one process)', (refs.xxh3 = await tool('xxhsum -H2 -q > /dev/null')));
    if (isBook && have('xxhsum')) row(label, bytes, `\`xxhsum -H2\` with \`xargs -P ${cores}\``, (refs.xxh3p = await toolParallel('xxhsum -H2 -q > /dev/null')));
    row(label, bytes, '`md5sum`', (refs.md5 = await tool('md5sum > /dev/null')));
    row(label, bytes, '`sha256sum`', (refs.sha256 = await tool('sha256sum > /dev/null')));
    if (have('b3sum')) row(label, bytes, '`b3sum` (BLAKE3, multithreaded)', await tool('b3sum > /dev/null'));
    for (const threads of isBook ? [1, cores] : [cores]) {
      const pool = new ChecksumPool(threads);
      for (const algorithm of ['xxh3', 'md5', 'sha256'] as Algorithm[]) {
        const s = await best(3, () => pool.hashPath(target, algorithm));
        const ref = algorithm === 'xxh3' ? (isBook && threads > 1 ? refs.xxh3p : refs.xxh3) : refs[algorithm];
        row(label, bytes, `Librarian ${algorithm}${isBook ? `, ${threads} thread${threads > 1 ? 's' : ''}` : ''}`, s, ref);
      }
      await pool.close();
    }
  }
  console.log(`Checksum throughput (${machine()}), warm page cache, best of 3.`);
  console.log('Ratio: the tool for the same algorithm (same parallelism for books) divided by Librarian; > 1 means Librarian is faster.\n');
  console.log('| data | hasher | seconds | MB/s | tool/Librarian |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
