/**
 * Integrity audits: an audit run of a whole store (re-hash every instance, then look for dark
 * data) against this machine's raw hash rate (the Librarian's ChecksumPool hashing the same files
 * directly, same algorithm, checksums.threads threads), warm and, when this process may drop the
 * page cache (root), cold; then the throttle, audit.bytesPerSecond, at several settings, sampling
 * the Librarian process's bytes read (/proc/PID/io rchar) to find its fastest second. The data
 * is generated once in $BENCH_DIR, hard-linked into the stores of a real Librarian and catalogued
 * directly (File and Instance rows as a commit leaves them); audit.reverifyAfter is 0, so every
 * run re-hashes every instance.
 *   npx tsx bench/audit.ts [--files 200] [--file-mib 10] [--books 4] [--book-files 64] [--book-file-mib 4] [--small 1000] [--small-kib 64] [--throttles 200,50,20] [--throttle-store files] [--runs 5] [--provider sqlite]
 */
import { copyFileSync, linkSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { ChecksumPool, DEFAULT_ALGORITHM } from '../src/shared/checksums';
import { BENCH_DIR, best, machine, mbps, randomBook, sh, startInfrastructure, warm } from './common';

interface Item {
  /** File name, also the path in the store. */
  name: string;
  /** The generated data (file or directory) in BENCH_DIR. */
  source: string;
}

interface DataSet {
  store: string;
  label: string;
  items: Item[];
  root?: string;
  bytes?: number;
}

interface Chunk {
  /** Seconds from the audit request to the chunk activity's start and end (server clock). */
  start: number;
  end: number;
  checked: number;
  bytes: number;
  /** Hashing time the activity measured itself. */
  elapsedMs: number;
}

interface AuditRun {
  seconds: number;
  checked: number;
  bytes: number;
  good: number;
  chunks: Chunk[];
  /** Seconds from the request to the end of planning, and the dark scan's duration. */
  planned: number;
  dark: number;
}

/** Links (or, across filesystems, copies) a file or directory tree. */
function place(from: string, to: string): void {
  if (statSync(from).isDirectory()) {
    for (const e of readdirSync(from)) place(path.join(from, e), path.join(to, e));
    return;
  }
  mkdirSync(path.dirname(to), { recursive: true });
  try {
    linkSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(from, to);
  }
}

/** Bytes the process has read so far (page cache or disk), or undefined where /proc does not say. */
function bytesRead(pid: number): number | undefined {
  try {
    return Number(/^rchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
  } catch {
    return undefined;
  }
}

/** Samples a process's reads every 100 ms until stopped; then the most it read in any `windowMs`. */
function readSampler(pid: number | undefined) {
  const samples: [number, number][] = [];
  const take = () => {
    const b = pid === undefined ? undefined : bytesRead(pid);
    if (b !== undefined) samples.push([Date.now(), b]);
  };
  take();
  const timer = setInterval(take, 100);
  return {
    stop(windowMs: number): number | undefined {
      clearInterval(timer);
      take();
      let most: number | undefined;
      for (let i = 0, j = 0; i < samples.length; i++) {
        while (samples[i]![0] - samples[j]![0] > windowMs) j++;
        const span = samples[i]![0] - samples[j]![0];
        if (span >= windowMs * 0.9) most = Math.max(most ?? 0, ((samples[i]![1] - samples[j]![1]) / span) * 1000);
      }
      return most;
    },
  };
}

/** Drops the page cache (needs root); false when this machine does not allow it. */
function dropCaches(): boolean {
  try {
    sh('sync && echo 3 > /proc/sys/vm/drop_caches');
    return true;
  } catch {
    return false;
  }
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number => {
  const s = t?.seconds as number | { toNumber(): number } | undefined;
  return (typeof s === 'number' ? s : (s?.toNumber() ?? 0)) * 1000 + (t?.nanos ?? 0) / 1e6;
};

async function main() {
  const { values } = parseArgs({
    options: {
      files: { type: 'string', default: '200' },
      'file-mib': { type: 'string', default: '10' },
      books: { type: 'string', default: '4' },
      'book-files': { type: 'string', default: '64' },
      'book-file-mib': { type: 'string', default: '4' },
      small: { type: 'string', default: '1000' },
      'small-kib': { type: 'string', default: '64' },
      throttles: { type: 'string', default: '200,50,20' },
      'throttle-store': { type: 'string', default: 'files' },
      runs: { type: 'string', default: '5' },
      provider: { type: 'string', default: 'sqlite' },
    },
  });
  const n = (k: keyof typeof values) => Number(values[k]);
  const provider = values.provider as 'sqlite' | 'postgresql';
  const runs = n('runs');
  const throttles = values.throttles!.split(',').filter(Boolean).map(Number);

  // The single files are the checksum benchmark's book (200 x 10 MiB) by default: generated once.
  const fileDir = randomBook(path.join(BENCH_DIR, `book-${n('files')}x${n('file-mib')}m`), n('files'), n('file-mib') * 1024 ** 2);
  const sets: DataSet[] = [
    {
      store: 'files',
      label: `${n('files')} files of ${n('file-mib')} MiB`,
      items: readdirSync(fileDir).sort().slice(0, n('files')).map((f, i) => ({ name: `files/f${String(i).padStart(4, '0')}.dat`, source: path.join(fileDir, f) })),
    },
    {
      store: 'books',
      label: `${n('books')} books of ${n('book-files')} x ${n('book-file-mib')} MiB`,
      items: Array.from({ length: n('books') }, (_, i) => ({
        name: `books/book_${i}`,
        source: randomBook(path.join(BENCH_DIR, `audit-book-${n('book-files')}x${n('book-file-mib')}m-${i}`), n('book-files'), n('book-file-mib') * 1024 ** 2),
      })),
    },
    {
      store: 'small',
      label: `${n('small')} files of ${n('small-kib')} KiB`,
      items: readdirSync(randomBook(path.join(BENCH_DIR, `audit-small-${n('small')}x${n('small-kib')}k`), n('small'), n('small-kib') * 1024))
        .sort()
        .map((f, i) => ({ name: `small/s${String(i).padStart(5, '0')}.dat`, source: path.join(BENCH_DIR, `audit-small-${n('small')}x${n('small-kib')}k`, f) })),
    },
  ].filter((s) => s.items.length > 0);

  const stop = await startInfrastructure(provider === 'postgresql');
  const { prepareLibrarian, stopAllLibrarians } = await import('../test/support/librarian');
  const { testTemporalClient } = await import('../test/support/temporalServer');
  const temporal = await testTemporalClient();
  const algorithm = DEFAULT_ALGORITHM;
  const rows: string[] = [];
  const notes: string[] = [];
  const canDrop = dropCaches();
  const load = [os.loadavg()[0]!];
  let pool: ChecksumPool | undefined;
  try {
    // No Schedules; every instance due on every run; "unthrottled": 1 TB/s, the whole store in one chunk.
    const lib = await prepareLibrarian({
      provider,
      config: { log: { level: 'warn' }, audit: { every: 0, reverifyAfter: 0, bytesPerSecond: 1e12 } },
      stores: sets.map((s) => ({ name: s.store, stagingPath: `stores/${s.store}/staging`, storePath: `stores/${s.store}/store` })),
    });
    const threads = lib.config.checksums.threads;
    pool = new ChecksumPool(threads);
    const svc = await lib.domain();
    for (const s of sets) {
      s.root = lib.config.stores.find((c) => c.name === s.store)!.storePath;
      const store = await svc.db.store.findUniqueOrThrow({ where: { name: s.store } });
      for (const it of s.items) place(it.source, path.join(s.root, it.name));
      const sums = await Promise.all(s.items.map((it) => pool!.hashPath(path.join(s.root!, it.name), algorithm)));
      s.bytes = sums.reduce((a, r) => a + r.size, 0);
      const now = new Date();
      for (let i = 0; i < s.items.length; i += 500) {
        const part = s.items.slice(i, i + 500);
        await svc.db.file.createMany({
          data: part.map((it, k) => ({ name: it.name, createTime: now, size: BigInt(sums[i + k]!.size), checksum: sums[i + k]!.checksum, uploader: 'bench', source: 'bench' })),
        });
        await svc.db.instance.createMany({
          data: part.map((it, k) => ({ fileName: it.name, path: it.name, storeId: store.id, calculatedChecksum: sums[i + k]!.checksum, calculatedSize: BigInt(sums[i + k]!.size), checksumTime: now })),
        });
      }
    }
    await lib.startAll();
    const client = lib.client();

    const audit = async (store: string): Promise<AuditRun> => {
      const t0 = Date.now();
      const { audits } = await client.post<{ audits: { workflow_id: string }[] }>('admin/audit/run', { store_name: store });
      const handle = temporal.workflow.getHandle(audits[0]!.workflow_id);
      await handle.result();
      const seconds = (Date.now() - t0) / 1000;
      const st = (await client.post<{ audits: { finished: boolean; checked: number; bytes: number; good: number; total: number; total_bytes: number }[] }>('admin/audit/status', { store_name: store })).audits[0]!;
      if (!st.finished || st.checked !== st.total || st.bytes !== st.total_bytes) throw new Error(`audit of ${store} incomplete: ${JSON.stringify(st)}`);
      // The chunks, pauses and phases from the workflow's history (server timestamps).
      const events = (await handle.fetchHistory()).events ?? [];
      const scheduled = new Map<string, string>();
      const started = new Map<string, number>();
      const chunks: Chunk[] = [];
      let planned = 0;
      let darkStart = 0;
      let dark = 0;
      for (const e of events) {
        const at = (ms(e.eventTime) - t0) / 1000;
        if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
        if (e.activityTaskStartedEventAttributes) {
          const type = scheduled.get(String(e.activityTaskStartedEventAttributes.scheduledEventId));
          started.set(String(e.activityTaskStartedEventAttributes.scheduledEventId), at);
          if (type === 'auditDark') darkStart = at;
        }
        const done = e.activityTaskCompletedEventAttributes;
        if (done) {
          const id = String(done.scheduledEventId);
          const type = scheduled.get(id);
          if (type === 'planAudit') planned = at;
          if (type === 'auditDark') dark = at - darkStart;
          if (type === 'auditChunk') {
            const r = JSON.parse(Buffer.from(done.result!.payloads![0]!.data!).toString()) as { checked: number; bytes: number; elapsedMs: number };
            chunks.push({ start: started.get(id)!, end: at, checked: r.checked, bytes: r.bytes, elapsedMs: r.elapsedMs });
          }
        }
      }
      return { seconds, checked: st.checked, bytes: st.bytes, good: st.good, chunks, planned, dark };
    };
    const bestAudit = async (store: string, times: number, before?: () => void): Promise<AuditRun & { all: number[] }> => {
      let min: AuditRun | undefined;
      const all: number[] = [];
      for (let i = 0; i < times; i++) {
        before?.();
        const r = await audit(store);
        all.push(r.seconds);
        if (!min || r.seconds < min.seconds) min = r;
      }
      return { ...min!, all };
    };
    const fraction = (f: number) => (f >= 0.1 ? f.toFixed(2) : f.toPrecision(2));
    const row = (s: DataSet, setting: string, seconds: number, raw: number, chunks = '') =>
      rows.push(`| ${s.label} | ${setting} | ${seconds.toFixed(2)} | ${mbps(s.bytes!, seconds)} | ${fraction(s.bytes! / seconds / raw)} | ${chunks} |`);
    const describe = (s: DataSet, setting: string, r: AuditRun & { all?: number[] }, rawSequential: number) => {
      const hashing = r.chunks.reduce((a, c) => a + c.elapsedMs, 0) / 1000;
      const perInstance = ((hashing - rawSequential) / r.checked) * 1000;
      notes.push(
        `- ${s.label}, ${setting}: ${r.checked} instances, ${r.good} good; planned by ${r.planned.toFixed(2)} s; ${r.chunks.length} chunk(s) hashing ${hashing.toFixed(2)} s in all ` +
          `(raw one at a time: ${rawSequential.toFixed(2)} s, so ${perInstance.toFixed(1)} ms more per instance); dark scan ${r.dark.toFixed(2)} s; request to result ${r.seconds.toFixed(2)} s` +
          (r.all && r.all.length > 1 ? ` (runs: ${r.all.map((x) => x.toFixed(2)).join(', ')} s).` : '.'),
      );
    };

    const raw: Record<string, { warm: number; cold?: number; sequential: number; coldSequential?: number }> = {};
    const hashAll = (s: DataSet) => Promise.all(s.items.map((it) => pool!.hashPath(path.join(s.root!, it.name), algorithm)));
    const hashEach = async (s: DataSet) => {
      for (const it of s.items) await pool!.hashPath(path.join(s.root!, it.name), algorithm);
    };
    for (const cold of canDrop ? [false, true] : [false]) {
      for (const s of sets) {
        if (!cold) warm(s.root!);
        const times = cold ? 1 : runs;
        const before = cold ? () => void dropCaches() : undefined;
        // Cold: one run, the page cache dropped just before it (outside the timing).
        const timed = async (fn: () => Promise<unknown>) => (cold ? (before!(), best(1, fn)) : best(runs, fn));
        const all = await timed(() => hashAll(s));
        const each = await timed(() => hashEach(s));
        raw[s.store] = { ...raw[s.store]!, ...(cold ? { cold: all, coldSequential: each } : { warm: all, sequential: each }) };
        const cache = cold ? 'cold' : 'warm';
        row(s, `raw: ChecksumPool ${algorithm}, ${threads} threads, all in flight, ${cache}`, all, s.bytes! / all);
        row(s, `raw: one ${s.store === 'books' ? 'book' : 'file'} at a time, as the audit goes, ${cache}`, each, s.bytes! / all);
        if (!cold) warm(s.root!);
        const r = await bestAudit(s.store, times, before);
        row(s, `audit, unthrottled, ${cache}`, r.seconds, s.bytes! / all, String(r.chunks.length));
        describe(s, `unthrottled, ${cache}`, r, each);
      }
    }

    const target = sets.find((s) => s.store === values['throttle-store'])!;
    const timelines: string[] = [];
    for (const mb of throttles) {
      const doc = YAML.parse(readFileSync(lib.configPath, 'utf8'));
      doc.audit.bytesPerSecond = mb * 1e6;
      writeFileSync(lib.configPath, YAML.stringify(doc));
      await lib.restart();
      warm(target.root!);
      const sampler = readSampler(lib.pid('start'));
      const r = await audit(target.store);
      const fastest = sampler.stop(1000);
      row(target, `audit, throttle ${mb} MB/s, warm`, r.seconds, target.bytes! / raw[target.store]!.warm, String(r.chunks.length));
      describe(target, `throttle ${mb} MB/s`, r, raw[target.store]!.sequential);
      const last = r.chunks.at(-1)!;
      const paced = r.chunks.length > 1 ? ` Before the last chunk (which no pause follows): ${mbps(r.bytes - last.bytes, last.start)} MB/s.` : '';
      timelines.push(
        `- ${mb} MB/s (chunks of ${((mb * 1e6 * 60) / 1e6).toFixed(0)} MB): ` +
          r.chunks.map((c) => `${(c.bytes / 1e6).toFixed(0)} MB at ${c.start.toFixed(1)}-${c.end.toFixed(1)} s`).join(', ') +
          `; finished at ${r.seconds.toFixed(1)} s, ${mbps(r.bytes, r.seconds)} MB/s on average.${paced}` +
          (fastest === undefined ? '' : ` Fastest second of the Librarian's reads: ${(fastest / 1e6).toFixed(0)} MB/s.`),
      );
    }

    load.push(os.loadavg()[0]!);
    console.log(`Integrity audit of a whole store vs the raw hash rate (${machine()}), ${provider} catalog, ${algorithm}, checksums.threads = ${threads}.`);
    console.log(`Warm: page cache warmed first, best of ${runs}. Cold: page cache dropped before the run, one run.${canDrop ? '' : ' (Cold runs skipped: cannot drop the page cache here.)'}`);
    console.log(`Fraction: MB/s divided by the raw rate (all in flight) on the same data and cache. Load average (1 min) at the start and end: ${load.map((l) => l.toFixed(2)).join(', ')}.\n`);
    console.log('| data set | setting | seconds | MB/s | fraction of raw hash rate | chunks |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
    console.log('\nWhere the time of the audits went (from the workflow histories):\n');
    for (const l of notes) console.log(l);
    console.log(`\nThrottled runs of "${target.label}", chunk by chunk (seconds from the run request):\n`);
    for (const l of timelines) console.log(l);
  } finally {
    await pool?.close();
    await stopAllLibrarians();
    await temporal.connection.close();
    await stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
