/**
 * `librarian upload` by copy, end to end (a real CLI process against a real Librarian), against
 * what the machine does for the same work in the same run: `cp` of the data plus `xxhsum -H2` of
 * the copy. Workloads: a 2 GiB page-cached file, a book of 1,000 x 1 MB files, one 1 MB file
 * (all fixed cost: process start and the two round trips), and, with --only large, an 8 GiB
 * file (the same fixed cost against four times the bytes; needs 16 GiB of page cache). Each
 * upload runs under both store policies: the default (the server hashes the staged copy again
 * at commit) and `trustClientCopies` (sizes checked, the client's digest kept). Interleaved
 * runs, best of N and every run, `sync` before each timing; every upload is removed afterwards.
 *   npx tsx bench/copy-upload.ts [--only file,book,small,large] [--runs 3]
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, have, machine, mbps, randomBook, randomFile, sh, startInfrastructure, warm } from './common';

const RUN = path.resolve(__dirname, '../bin/run.js');

function seconds(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function main() {
  const { values } = parseArgs({ options: { only: { type: 'string', default: 'file,book,small' }, runs: { type: 'string', default: '3' } } });
  const only = new Set(values.only!.split(','));
  const runs = Number(values.runs);
  if (!have('xxhsum')) throw new Error('xxhsum (Debian package xxhash) is needed for the baseline.');
  const workloads = [
    { key: 'file', label: '2 GiB file', path: () => randomFile(path.join(BENCH_DIR, 'file-2g.bin'), 2 * 1024 ** 3), bytes: 2 * 1024 ** 3, files: 1 },
    { key: 'book', label: 'book 1,000 x 1 MB', path: () => randomBook(path.join(BENCH_DIR, 'book-1000x1m'), 1000, 1_000_000), bytes: 1e9, files: 1000 },
    { key: 'large', label: '8 GiB file', path: () => randomFile(path.join(BENCH_DIR, 'file-8g.bin'), 8 * 1024 ** 3), bytes: 8 * 1024 ** 3, files: 1 },
    { key: 'small', label: '1 MB file', path: () => randomFile(path.join(BENCH_DIR, 'file-1m.bin'), 1_000_000), bytes: 1e6, files: 1 },
  ].filter((w) => only.has(w.key));

  const stop = await startInfrastructure(false);
  const { startLibrarian, stopAllLibrarians } = await import('../test/support/librarian');
  const rows: string[] = [];
  try {
    const policies = [
      { name: 'default: commit hashes the copy', trust: false },
      { name: 'trustClientCopies: sizes only', trust: true },
    ];
    const libs = await Promise.all(
      policies.map((p) =>
        startLibrarian({
          config: { log: { level: 'warn' }, api: { maxUploadSizeBytes: 16 * 1024 ** 3 } },
          stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store', trustClientCopies: p.trust }],
        }),
      ),
    );
    const scratch = path.join(BENCH_DIR, 'copy-baseline');
    let n = 0;
    for (const w of workloads) {
      const source = w.path();
      warm(source);
      const list = w.files > 1 ? `find "${scratch}" -type f -print0 | xargs -0 xxhsum -H2 -q > /dev/null` : `xxhsum -H2 -q "${scratch}" > /dev/null`;
      const all = { baseline: [] as number[], lib: policies.map(() => [] as number[]) };
      // More runs for the small file: its time is mostly process start-up, the noisiest part.
      const times = w.key === 'small' ? runs * 3 : runs;
      for (let i = 0; i < times; i++) {
        rmSync(scratch, { recursive: true, force: true });
        sh('sync');
        all.baseline.push(seconds(() => sh(`cp -r "${source}" "${scratch}" && ${list}`)));
        rmSync(scratch, { recursive: true, force: true });
        for (const [p, lib] of libs.entries()) {
          const dest = `bench/${w.key}-${n++}`;
          sh('sync');
          const s = seconds(() => {
            const r = spawnSync(process.execPath, [RUN, 'upload', source, dest, '--via', 'copy', '--no-progress'], { env: { ...process.env, ...lib.cliEnv() }, encoding: 'utf8' });
            if (r.status !== 0) throw new Error(`upload failed: ${r.stderr}`);
          });
          all.lib[p]!.push(s);
          rmSync(path.join(lib.dir, 'stores/main/store', dest), { recursive: true, force: true });
        }
      }
      // Every run is printed too: on this VM the copy's speed (page-cache writeback) varies more
      // between runs than any difference between the contenders.
      const best = { baseline: Math.min(...all.baseline), lib: all.lib.map((t) => Math.min(...t)) };
      const each = (t: number[]) => t.map((x) => x.toFixed(2)).join(' ');
      const rate = (s: number) => (w.files > 1 ? `${(w.files / s).toFixed(0)} files/s` : `${mbps(w.bytes, s)} MB/s`);
      rows.push(`| ${w.label} | \`cp -r\` + \`xxhsum -H2\` of the copy (baseline) | ${best.baseline.toFixed(2)} | ${rate(best.baseline)} | 1.00 | ${each(all.baseline)} |`);
      for (const [p, policy] of policies.entries()) {
        rows.push(`| ${w.label} | \`librarian upload --via copy\`, ${policy.name} | ${best.lib[p]!.toFixed(2)} | ${rate(best.lib[p]!)} | ${(best.lib[p]! / best.baseline).toFixed(2)} | ${each(all.lib[p]!)} |`);
      }
    }
  } finally {
    await stopAllLibrarians();
    await stop();
  }
  console.log(`Uploads by copy (${machine()}), load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; best of ${runs} (x3 for the 1 MB file), interleaved, sync before each.`);
  console.log('Ratio: this time / the baseline time in the same run (< 1.2 is the goal for the 2 GiB file).\n');
  console.log('| data | method | seconds (best) | rate | ratio | every run, in order |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
