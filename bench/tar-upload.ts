/**
 * HTTP upload of a directory of many tiny files as one tar stream (PUT upload/{id}/data,
 * Content-Type: application/x-tar), then its commit: the per-member cost of the receiver.
 *   npx tsx bench/tar-upload.ts [count ...]     (default: 2000 5000 20000)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ChecksumPool } from '../src/shared/checksums';
import { tarBody } from '../test/support/data';
import { BENCH_DIR, machine, randomBook, sh, startInfrastructure } from './common';

async function main() {
  const counts = process.argv.slice(2).map(Number);
  if (counts.length === 0) counts.push(2000, 5000, 20000);
  const stop = await startInfrastructure(false);
  const { startLibrarian, stopAllLibrarians } = await import('../test/support/librarian');
  const pool = new ChecksumPool(2);
  const rows: string[] = [];
  try {
    const lib = await startLibrarian({ config: { log: { level: 'warn' }, api: { maxUploadSizeBytes: 1e9 } } });
    const client = lib.client();
    for (const count of counts) {
      const dir = randomBook(path.join(BENCH_DIR, `tiny-${count}`), count, 1);
      const names = Array.from({ length: count }, (_, i) => `part_${String(i).padStart(4, '0')}.dat`);
      const { checksum, size } = await pool.hashPath(dir, 'xxh3');
      // The whole tar in memory, so the timing is the server's (20,000 members: about 20 MB).
      const body = await tarBody(names.map((n) => ({ name: n, data: readFileSync(path.join(dir, n)), mode: 0o644 })));
      sh('sync');
      const t0 = process.hrtime.bigint();
      const s = await client.post<{ transfer_id: number }>('upload/stage', { upload_size: size, upload_checksum: checksum, upload_name: `tiny-${count}`, destination_location: `bench/tiny-${count}` });
      const t1 = process.hrtime.bigint();
      await client.put(`upload/${s.transfer_id}/data`, (async function* () {
        for (let i = 0; i < body.length; i += 1 << 20) yield body.subarray(i, i + (1 << 20));
      })(), { 'Content-Type': 'application/x-tar' });
      const t2 = process.hrtime.bigint();
      await client.post('upload/commit', { transfer_id: s.transfer_id }, 1_800_000);
      const t3 = process.hrtime.bigint();
      const put = Number(t2 - t1) / 1e9;
      rows.push(`| ${count} | ${put.toFixed(2)} | ${((put / count) * 1000).toFixed(2)} | ${(Number(t3 - t2) / 1e9).toFixed(2)} | ${(Number(t3 - t0) / 1e9).toFixed(2)} |`);
      console.error(rows[rows.length - 1]);
    }
  } finally {
    await pool.close();
    await stopAllLibrarians();
    await stop();
  }
  console.log(`A directory of one-byte files sent as one tar stream over loopback, then committed (${machine()}), one run each, \`sync\` before each.\n`);
  console.log('| files | PUT seconds | ms per file | commit seconds | stage + PUT + commit seconds |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
