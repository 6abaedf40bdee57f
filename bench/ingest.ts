/**
 * Ingest throughput: 1,000 files of 1 MB uploaded end to end (stage workflow, copy into staging,
 * commit: verify, move, catalogue) into a real Librarian (API and worker processes), on SQLite
 * and on PostgreSQL, with several uploads in flight at once. Also reports the CPU seconds per file
 * of the Librarian process (API and worker) and of the Temporal server, and the Librarian's
 * memory (RSS) right after the run and a minute later.
 *   npx tsx bench/ingest.ts [--files 1000] [--concurrency 16] [--providers sqlite,postgresql]
 */
import { copyFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ChecksumPool } from '../src/shared/checksums';
import { BENCH_DIR, machine, randomFile, startInfrastructure } from './common';
import { cpuSeconds, pidsMatching, rssMb } from './procstat';

async function main() {
  const { values } = parseArgs({ options: { files: { type: 'string', default: '1000' }, concurrency: { type: 'string', default: '16' }, providers: { type: 'string', default: 'sqlite,postgresql' } } });
  const count = Number(values.files);
  const concurrency = Number(values.concurrency);
  const providers = values.providers!.split(',') as ('sqlite' | 'postgresql')[];
  const stop = await startInfrastructure(providers.includes('postgresql'));
  const { startLibrarian, stopAllLibrarians } = await import('../test/support/librarian');
  const pool = new ChecksumPool(2);
  const files = Array.from({ length: count }, (_, i) => randomFile(path.join(BENCH_DIR, 'ingest-1m', `f${String(i).padStart(5, '0')}.bin`), 1_000_000));
  const sums = await Promise.all(files.map((f) => pool.hashPath(f, 'xxh3')));
  await pool.close();
  const lines: string[] = [];
  try {
    for (const provider of providers) {
      const lib = await startLibrarian({ provider, config: { log: { level: 'warn' } } });
      const client = lib.client();
      const librarianPid = lib.pid('start')!;
      const temporalPort = process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS!.split(':').pop();
      const temporalPids = pidsMatching(new RegExp(`start-dev .*--port ${temporalPort}\\b`)).filter((p) => !/start-dev\.sh/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
      const temporalCpu = () => temporalPids.reduce((s, p) => s + cpuSeconds(p), 0);
      const cpu0 = { librarian: cpuSeconds(librarianPid), temporal: temporalCpu() };
      const latencies: number[] = [];
      let next = 0;
      const t0 = Date.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            const i = next++;
            const t = Date.now();
            const s = await client.post<{ transfer_id: number; staging_location: string }>('upload/stage', {
              upload_size: 1_000_000,
              upload_checksum: sums[i]!.checksum,
              upload_name: path.basename(files[i]!),
              destination_location: `bench/${path.basename(files[i]!)}`,
            });
            copyFileSync(files[i]!, s.staging_location);
            await client.post('upload/commit', { transfer_id: s.transfer_id }, 600_000);
            latencies.push(Date.now() - t);
          }
        }),
      );
      const seconds = (Date.now() - t0) / 1000;
      const cpuLibrarian = (cpuSeconds(librarianPid) - cpu0.librarian) / count;
      const cpuTemporal = (temporalCpu() - cpu0.temporal) / count;
      const rss = rssMb(librarianPid);
      // V8 gives memory back only after a major collection, which its memory reducer starts some
      // seconds after allocation slows down: the RSS a minute later is what an idle server holds.
      await new Promise((r) => setTimeout(r, 60_000));
      const rssIdle = rssMb(librarianPid);
      latencies.sort((a, b) => a - b);
      const svc = await lib.domain();
      const catalogued = await svc.db.file.count();
      lines.push(
        `| ${provider} | ${count} | ${concurrency} | ${seconds.toFixed(1)} | ${(count / seconds).toFixed(1)} | ${latencies[Math.floor(count / 2)]} | ${latencies[Math.floor(count * 0.95)]} | ${catalogued} | ${(cpuLibrarian * 1000).toFixed(0)} | ${(cpuTemporal * 1000).toFixed(0)} | ${((cpuLibrarian + cpuTemporal) * 1000).toFixed(0)} | ${rss.toFixed(0)} | ${rssIdle.toFixed(0)} |`,
      );
      await lib.stop();
    }
  } finally {
    await stopAllLibrarians();
    await stop();
  }
  console.log(`Ingest of ${count} x 1 MB files through the upload workflow (${machine()}); API, worker, Temporal dev server and database on the same machine.\n`);
  console.log('| catalog | files | in flight | seconds | files/s | p50 ms | p95 ms | files catalogued | CPU ms/file, Librarian (API + worker) | CPU ms/file, Temporal | CPU ms/file, both | Librarian RSS MB after | RSS MB a minute later |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const l of lines) console.log(l);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
