/**
 * Start-up of the `librarian` command: `--version`, `ping` and one `upload` of a 1 MB file end to
 * end (hash, stage, copy, commit through the workflow), each a new process, against a real
 * Librarian on this machine. With --base DIR the same commands of another checkout (built) run
 * interleaved against the same server, as the baseline of the same run. The upload also runs with
 * the code cache off (src/cli/compileCache.ts) and, where the environment sets
 * NODE_EXTRA_CA_CERTS, without it, so both costs are measured in the same run.
 *   npx tsx bench/cli-startup.ts [--runs 7] [--base /tmp/librarian-base]
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, have, machine, randomFile, startInfrastructure } from './common';

const ROOT = path.resolve(__dirname, '..');

interface Timing {
  wall: number;
  cpu: number;
}

/** One process: wall seconds and CPU seconds (user + system) of it and its children. */
function timed(cmd: string[], env: NodeJS.ProcessEnv): Timing {
  const out = path.join(BENCH_DIR, 'cli-startup.time');
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', '-o', out, ...cmd], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const [wall, user, sys] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall: wall!, cpu: user! + sys! };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, base: { type: 'string' } } });
  const runs = Number(values.runs);
  if (!have('/usr/bin/time')) throw new Error('needs /usr/bin/time (Debian package "time")');
  const file = randomFile(path.join(BENCH_DIR, 'cli-1m.bin'), 1_000_000);
  const stop = await startInfrastructure(false);
  const { startLibrarian, stopAllLibrarians } = await import('../test/support/librarian');
  const checkouts = [{ label: 'this checkout', root: ROOT }, ...(values.base ? [{ label: `base (${values.base})`, root: path.resolve(values.base) }] : [])];
  const results = new Map<string, Timing[]>();
  const add = (key: string, t: Timing) => results.set(key, [...(results.get(key) ?? []), t]);
  try {
    const lib = await startLibrarian({ config: { log: { level: 'warn' } } });
    const env = { ...process.env, ...lib.cliEnv() } as NodeJS.ProcessEnv;
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k];
    let n = 0;
    // Node reads NODE_EXTRA_CA_CERTS at start, before any of our code: where it is set (this
    // sandbox points it at the whole system bundle), every process parses those certificates.
    const noExtraCerts = { ...env };
    delete noExtraCerts.NODE_EXTRA_CA_CERTS;
    const extraCerts = env.NODE_EXTRA_CA_CERTS !== undefined;
    const upload = (run: string, e: NodeJS.ProcessEnv) => timed([process.execPath, run, 'upload', '--no-progress', file, `cli-bench/${process.pid}-${n++}.bin`], e);
    for (let i = 0; i < runs; i++) {
      add('node -e ""', timed([process.execPath, '-e', ''], env));
      if (extraCerts) add('node -e "" without', timed([process.execPath, '-e', ''], noExtraCerts));
      for (const c of checkouts) {
        const run = path.join(c.root, 'bin/run.js');
        add(`${c.label}|--version`, timed([process.execPath, run, '--version'], env));
        add(`${c.label}|ping`, timed([process.execPath, run, 'ping'], env));
        add(`${c.label}|upload 1 MB`, upload(run, env));
      }
      const run = path.join(ROOT, 'bin/run.js');
      add('upload, no compile cache', upload(run, { ...env, NODE_DISABLE_COMPILE_CACHE: '1' }));
      if (extraCerts) add('upload without', upload(run, noExtraCerts));
      // The part of an upload that is the client's checksum pool (4 threads, as the upload client
      // makes it): start it, hash 1 MB, close it.
      const pool = spawnSync(
        process.execPath,
        [
          '-e',
          `const { ChecksumPool } = require(${JSON.stringify(path.join(ROOT, 'dist/shared/checksums'))});
           const t = process.hrtime.bigint(); const p = new ChecksumPool(4);
           p.hashPath(${JSON.stringify(file)}, 'xxh3').then(() => p.close()).then(() => console.log(Number(process.hrtime.bigint() - t) / 1e9));`,
        ],
        { encoding: 'utf8' },
      );
      add('pool', { wall: Number(pool.stdout.trim()), cpu: NaN });
    }
    rmSync(path.join(lib.dir, 'stores/main/store/cli-bench'), { recursive: true, force: true });
  } finally {
    await stopAllLibrarians();
    await stop();
  }
  const row = (label: string, key: string, base?: string) => {
    const t = results.get(key)!;
    const wall = median(t.map((x) => x.wall));
    const ratio = base ? (median(results.get(base)!.map((x) => x.wall)) / wall).toFixed(2) : '';
    return `| ${label} | ${wall.toFixed(2)} | ${median(t.map((x) => x.cpu)).toFixed(2)} | ${ratio} |`;
  };
  console.log(`CLI start-up, median of ${runs} runs, each a new process (${machine()}); API, worker and Temporal dev server on the same machine.\n`);
  console.log('| command | seconds | CPU seconds | base / this |');
  console.log('|---|---|---|---|');
  console.log(row('`node -e ""` (Node alone)', 'node -e ""'));
  if (results.has('node -e "" without')) console.log(row('`node -e ""` without `NODE_EXTRA_CA_CERTS`', 'node -e "" without'));
  for (const cmd of ['--version', 'ping', 'upload 1 MB']) {
    for (const c of checkouts) console.log(row(`\`librarian ${cmd}\`, ${c.label}`, `${c.label}|${cmd}`, c === checkouts[0] && values.base ? `${checkouts[1]!.label}|${cmd}` : undefined));
  }
  console.log(row('`librarian upload` of 1 MB, this checkout, compile cache off (`NODE_DISABLE_COMPILE_CACHE=1`)', 'upload, no compile cache'));
  if (results.has('upload without')) console.log(row('`librarian upload` of 1 MB, this checkout, without `NODE_EXTRA_CA_CERTS`', 'upload without'));
  console.log(`| of which the checksum pool (start, hash 1 MB, close; measured in a process of its own) | ${median(results.get('pool')!.map((x) => x.wall)).toFixed(3)} | | |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
