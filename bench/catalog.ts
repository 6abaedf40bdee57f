/**
 * The catalog at 1M files, on SQLite and on PostgreSQL: pages of search/file by name prefix and
 * by time window (through SearchService.files, as the API calls it), the count of files not yet
 * at a peer (`librarian clone status`), and planning 98 batches of 1,024 transfers to that peer
 * (ClonePlanner.planBatches), each with the database's plan.
 *   npx tsx bench/catalog.ts [--files 1000000] [--only sqlite|postgresql] [--json out.json] [--before before.json]
 * --json writes the figures; --before reads such a file (e.g. from a worktree of an older
 * commit) and shows its figures beside this run's.
 *
 * The catalog is filled with SQL (not timed): N files `obs|cal/<night>/zen.<night>.<seq>.uvh5`
 * (every tenth is cal/), 1,000 per night, two per second of create_time, one instance each; the
 * peer holds the oldest 88% (a remote instance and a completed transfer each) and 1% more is on
 * its way (INITIATED), so 11% are candidates. The SQLite file is kept in $BENCH_DIR for the next
 * run of the same schema; PostgreSQL is filled in a fresh server, or, on a server given in
 * LIBRARIAN_TEST_PG_URL, once in a database named after the size and schema (--fresh-pg: anew).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { loadConfig, type Config } from '../src/config';
import { createDomain, type Domain } from '../src/domain';
import type { Prisma } from '../src/domain/catalog/db';
import { migrate } from '../src/domain/catalog/migrate';
import { BENCH_DIR, machine } from './common';

type Provider = 'sqlite' | 'postgresql';
const PEER = 'peer';
const PAGE = 64; // api.maxSearchResults' default
const BATCH = 1024;
const PLANNED_BATCHES = 98;
const BASE = 1_600_000_000; // seconds; file i was created at BASE + i/2

const { values: args } = parseArgs({
  options: { files: { type: 'string', default: '1000000' }, only: { type: 'string' }, 'fresh-pg': { type: 'boolean' }, json: { type: 'string' }, before: { type: 'string' } },
});
const N = Number(args.files);
const HELD = Math.floor(N * 0.88);
const ON_THE_WAY = Math.floor(N * 0.01);

/** The SQL expressions of file i's columns, per dialect (i is the series' column). */
function columns(p: Provider) {
  if (p === 'sqlite') {
    const night = `(2459000 + i / 1000)`;
    return {
      series: (n: number) => `WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < ${n - 1})`,
      name: `printf('%s/%d/zen.%d.%05d.uvh5', CASE WHEN i % 10 = 9 THEN 'cal' ELSE 'obs' END, ${night}, ${night}, i % 1000)`,
      time: `strftime('%Y-%m-%dT%H:%M:%S', ${BASE} + i / 2, 'unixepoch') || '.000+00:00'`,
      checksum: `printf('xxh3:::%032x', i)`,
      yes: '1',
    };
  }
  const night = `(2459000 + i / 1000)`;
  return {
    series: () => '',
    name: `format('%s/%s/zen.%s.%s.uvh5', CASE WHEN i % 10 = 9 THEN 'cal' ELSE 'obs' END, ${night}, ${night}, lpad((i % 1000)::text, 5, '0'))`,
    time: `to_timestamp(${BASE} + i / 2)`,
    checksum: `'xxh3:::' || lpad(to_hex(i), 32, '0')`,
    yes: 'true',
  };
}

/** Fills the catalog with SQL; `run` executes one statement. */
async function fill(p: Provider, run: (sql: string) => Promise<void>, storeId: number, peerId: number): Promise<void> {
  const c = columns(p);
  const series = (from: number, to: number) => (p === 'sqlite' ? `${c.series(to - from)} ` : '');
  const range = (from: number, to: number) => (p === 'sqlite' ? `(SELECT i + ${from} AS i FROM s)` : `(SELECT i FROM generate_series(${from}, ${to - 1}) AS s(i))`);
  await run(`${series(0, N)}INSERT INTO "files" ("name", "create_time", "catalog_time", "size", "checksum", "uploader", "source")
    SELECT ${c.name}, ${c.time}, ${c.time}, 1000000, ${c.checksum}, 'pipeline', 'pipeline' FROM ${range(0, N)} AS t`);
  await run(`INSERT INTO "instances" ("path", "file_name", "store_id", "deletion_policy", "created_time", "available")
    SELECT "name", "name", ${storeId}, 'DISALLOWED', "create_time", ${c.yes} FROM "files"`);
  await run(`${series(0, HELD)}INSERT INTO "remote_instances" ("file_name", "librarian_id", "store_id", "copy_time", "sender")
    SELECT ${c.name}, ${peerId}, 1, ${c.time}, 'bench' FROM ${range(0, HELD)} AS t`);
  for (const [status, from, to] of [
    ['COMPLETED', 0, HELD],
    ['INITIATED', HELD, HELD + ON_THE_WAY],
  ] as const) {
    await run(`${series(from, to)}INSERT INTO "outgoing_transfers" ("status", "destination", "transfer_size", "transfer_checksum", "start_time", "end_time", "file_name", "batch_id")
      SELECT '${status}', '${PEER}', 1000000, ${c.checksum}, ${c.time}, ${status === 'COMPLETED' ? c.time : 'NULL'}, ${c.name}, 'clone/bench/${PEER}/old-' || (i / ${BATCH}) FROM ${range(from, to)} AS t`);
  }
}

/** A cursor pointing after the given row: the X-Next-Cursor format of SearchService.files. */
function cursorAfter(createTime: Date, name: string): string {
  return Buffer.from(JSON.stringify({ t: createTime.toISOString(), n: name })).toString('base64url');
}

async function median(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)]!;
}

interface Search {
  label: string;
  namePrefix?: string;
  window?: [Date, Date];
}

const at = (i: number) => new Date((BASE + Math.floor(i / 2)) * 1000);
const SEARCHES: Search[] = [
  { label: 'prefix obs/ (90% of files)', namePrefix: 'obs/' },
  { label: 'prefix cal/ (10%)', namePrefix: 'cal/' },
  { label: `prefix obs/${2459000 + Math.floor(N / 2000)}/ (one night, 900)`, namePrefix: `obs/${2459000 + Math.floor(N / 2000)}/` },
  { label: 'prefix obs/24591 (9%, all older than 80% of the catalog)', namePrefix: 'obs/24591' },
  { label: 'time window (60% of files)', window: [at(N * 0.2), at(N * 0.8)] },
];

type Figures = Record<string, number | string>;

async function measure(p: Provider, svc: Domain, raw: (sql: string, ...v: unknown[]) => Promise<Record<string, unknown>[]>): Promise<{ figures: Figures; plans: string[] }> {
  const figures: Figures = {};
  const plans: string[] = [];
  // Warm up as a running server is: the first pages after start are slower (Prisma's query
  // compiler, the database's caches), which showed as the first row of the table.
  for (let i = 0; i < 5; i++) await svc.search.files({ namePrefix: 'obs/', limit: PAGE });
  for (const s of SEARCHES) {
    const where = s.namePrefix !== undefined ? `"name" >= $1 AND "name" < $2` : `"create_time" >= $1 AND "create_time" <= $2`;
    const bounds: unknown[] = s.namePrefix !== undefined ? [s.namePrefix, s.namePrefix.slice(0, -1) + String.fromCodePoint(s.namePrefix.codePointAt(s.namePrefix.length - 1)! + 1)] : s.window!;
    const sqlWhere = p === 'sqlite' ? where.replace(/\$\d/g, '?') : where;
    const [{ n }] = (await raw(`SELECT COUNT(*) AS "n" FROM "files" WHERE ${sqlWhere}`, ...bounds)) as [{ n: number | bigint }];
    const matches = Number(n);
    if (matches < 2 * PAGE) continue; // a smaller catalog than this search is written for
    const pages: [string, number][] = [
      ['first', -1],
      ['middle', Math.floor(matches / 2)],
      ['deep', matches - PAGE - 1],
    ];
    for (const [page, offset] of pages) {
      let cursor: string | undefined;
      if (offset >= 0) {
        const [row] = (await raw(`SELECT "name", "create_time" FROM "files" WHERE ${sqlWhere} ORDER BY "create_time" DESC, "name" LIMIT 1 OFFSET ${offset}`, ...bounds)) as [{ name: string; create_time: string | Date }];
        cursor = cursorAfter(new Date(row.create_time), row.name);
      }
      const q = { namePrefix: s.namePrefix, createdAfter: s.window?.[0], createdBefore: s.window?.[1], limit: PAGE, cursor };
      const got = await svc.search.files(q);
      if (got.files.length !== Math.min(PAGE, offset >= 0 ? matches - offset - 1 : matches)) throw new Error(`${s.label} ${page}: ${got.files.length} files`);
      figures[`${s.label} | ${page} page`] = await median(5, () => svc.search.files(q));
      if ('names' in svc.search) {
        const statements: Prisma.Sql[] = [];
        const { way } = await svc.search.names(q, (sql) => statements.push(sql));
        figures[`${s.label} | ${page} page: its names alone (${way})`] = await median(5, () => svc.search.names(q));
        for (const sql of statements) plans.push(`${s.label}, ${page} page (${way}):\n${await explain(p, svc, sql)}`);
      }
    }
  }
  // What any query costs through Prisma at the time (a page makes 5-7).
  figures['a round trip (SELECT 1)'] = await median(5, () => svc.db.$queryRaw`SELECT 1`);
  const count = await svc.clonePlanner.countCandidates(PEER);
  figures['candidates'] = count;
  figures['candidate count'] = await median(3, () => svc.clonePlanner.countCandidates(PEER));
  if ('statements' in svc.clonePlanner) {
    const { count: countSql, record } = await svc.clonePlanner.statements(PEER, 'explain', PLANNED_BATCHES * BATCH);
    plans.push(`candidate count:\n${await explain(p, svc, countSql)}`);
    // As planBatches runs it (see lockPlanning).
    const settings = p === 'postgresql' ? ['SET LOCAL jit = off'] : [];
    plans.push(`recording ${PLANNED_BATCHES * BATCH} planned transfers (rolled back):\n${await explain(p, svc, record, settings)}`);
  }
  const t = process.hrtime.bigint();
  const { batches } = await svc.clonePlanner.planBatches(PEER, `bench-${Date.now()}`);
  figures['plan and record'] = Number(process.hrtime.bigint() - t) / 1e6;
  const planned = batches.reduce((a, b) => a + b.files, 0);
  figures['planned'] = `${batches.length} x ${BATCH} (${planned})`;
  figures['candidates after'] = await svc.clonePlanner.countCandidates(PEER);
  // The next run plans the same files again.
  await svc.db.outgoingTransfer.deleteMany({ where: { batchId: { in: batches.map((b) => b.batchId) } } });
  if (p === 'postgresql') await raw('VACUUM ANALYZE "outgoing_transfers"');
  return { figures, plans };
}

/** On a server given in LIBRARIAN_TEST_PG_URL, the catalog is kept (filled once) in a database of this name. */
async function keptPgDatabase(name: string): Promise<string> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: process.env.LIBRARIAN_TEST_PG_URL });
  await c.connect();
  if ((await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 0) await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(process.env.LIBRARIAN_TEST_PG_URL!);
  u.pathname = `/${name}`;
  return u.toString();
}

async function hasFiles(url: string): Promise<boolean> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(`SELECT 1 FROM "files" LIMIT 1`)).rowCount === 1;
  } catch {
    return false; // not migrated yet
  } finally {
    await c.end();
  }
}

class RolledBack extends Error {}

/** The database's plan of a statement: EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL (in a transaction rolled back). */
async function explain(p: Provider, svc: Domain, sql: Prisma.Sql, settings: string[] = []): Promise<string> {
  if (p === 'sqlite') {
    const rows = await svc.db.$queryRawUnsafe<{ id: number; parent: number; detail: string }[]>(`EXPLAIN QUERY PLAN ${sql.sql}`, ...sql.values);
    const depth = new Map<number, number>([[0, 0]]);
    return rows.map((r) => {
      const d = (depth.get(r.parent) ?? 0) + 1;
      depth.set(r.id, d);
      return `${'  '.repeat(d)}${r.detail}`;
    }).join('\n');
  }
  let plan = '';
  await svc.db
    .$transaction(async (tx) => {
      for (const s of settings) await tx.$executeRawUnsafe(s);
      const rows = await tx.$queryRawUnsafe<Record<string, string>[]>(`EXPLAIN (ANALYZE, BUFFERS OFF) ${sql.text}`, ...sql.values);
      plan = rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n');
      throw new RolledBack();
    }, { timeout: 120_000 })
    .catch((e) => {
      if (!(e instanceof RolledBack)) throw e;
    });
  return plan;
}

async function runOn(p: Provider): Promise<Figures> {
  const { createPgDatabase } = await import('../test/support/librarian');
  const dir = path.join(__dirname, '..', p === 'sqlite' ? 'prisma/sqlite/migrations' : 'prisma/migrations');
  const hash = createHash('sha256');
  for (const m of readdirSync(dir).sort()) hash.update(m).update(existsSync(path.join(dir, m, 'migration.sql')) ? readFileSync(path.join(dir, m, 'migration.sql')) : '');
  const schemaKey = hash.digest('hex').slice(0, 12);
  const file = path.join(BENCH_DIR, `catalog-${N}-${schemaKey}.db`);
  const url = p === 'sqlite' ? `file:${file}` : process.env.LIBRARIAN_TEST_PG_URL && !args['fresh-pg'] ? await keptPgDatabase(`bench_catalog_${N}_${schemaKey}`) : await createPgDatabase();
  const database = { provider: p, url } as Config['database'];
  const filled = p === 'sqlite' ? existsSync(file) : await hasFiles(url);
  const base = loadConfig(undefined, {});
  const config: Config = { ...base, name: 'bench', log: { ...base.log, level: 'warn' }, database, encryptionKey: 'k', clone: { ...base.clone, batchSize: BATCH } };
  let fillSeconds = 0;
  if (!filled) {
    const tmp = p === 'sqlite' ? `${file}.tmp` : undefined;
    if (tmp) rmSync(tmp, { force: true });
    const fillDb = tmp ? { provider: p, url: `file:${tmp}` } as Config['database'] : database;
    await migrate(fillDb);
    const svc = await createDomain({ ...config, database: fillDb }, 'bench');
    const store = await svc.db.store.create({ data: { name: 'main', storeData: { stagingPath: '/s', storePath: '/t' }, transferMethods: {} } });
    const peer = await svc.db.librarian.create({ data: { name: PEER, url: 'http://x', port: 1, authenticator: 'x' } });
    await svc.close();
    const t = Date.now();
    if (tmp) {
      const db = new Database(tmp);
      db.pragma('journal_mode = WAL');
      await fill(p, async (sql) => void db.exec(`BEGIN; ${sql}; COMMIT;`), store.id, peer.id);
      db.close();
      renameSync(tmp, file);
    } else {
      const pg = (await import('pg')).default;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      // The test server runs with synchronous_commit off: VACUUM cannot mark pages all-visible
      // (set hint bits) for rows whose commit is not yet flushed, so right after an asynchronous
      // fill it left the visibility map of every table but the first empty, and index-only scans
      // read the heap (the candidate count took 0.57-0.77 s instead of 0.23 s).
      await c.query('SET synchronous_commit = on');
      await fill(p, async (sql) => void (await c.query(sql)), store.id, peer.id);
      // What autovacuum does after a bulk load: statistics, and the visibility map index-only scans need.
      await c.query('VACUUM ANALYZE');
      await c.end();
    }
    fillSeconds = (Date.now() - t) / 1000;
  }
  const svc = await createDomain(config, 'bench');
  const raw = (sql: string, ...v: unknown[]) => svc.db.$queryRawUnsafe<Record<string, unknown>[]>(sql, ...v);
  // Room for the 98 batches beside the ones already on their way.
  const inFlight = (await svc.transfers.outgoing.inFlightBatches(PEER)).length;
  Object.assign(svc.config.clone, { maxBatchesPerPeer: inFlight + PLANNED_BATCHES, maxBatchesTotal: inFlight + PLANNED_BATCHES });
  const { figures, plans } = await measure(p, svc, raw);
  figures['catalog fill (s)'] = filled ? 'kept' : fillSeconds;
  await svc.close();
  allPlans.push(...plans.map((pl) => `${p}, ${pl}`));
  return figures;
}

const allPlans: string[] = [];

async function main() {
  const providers = (args.only ? [args.only] : ['sqlite', 'postgresql']) as Provider[];
  let stop = () => {};
  if (providers.includes('postgresql') && !process.env.LIBRARIAN_TEST_PG_URL) {
    const pg = await (await import('../test/support/postgres')).startPostgres();
    process.env.LIBRARIAN_TEST_PG_URL = pg.url;
    stop = () => pg.stop();
  }
  const results: Record<string, Figures> = {};
  try {
    for (const p of providers) results[p] = await runOn(p);
  } finally {
    stop();
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 1));
  const before: Record<string, Figures> = args.before ? JSON.parse(readFileSync(args.before, 'utf8')) : {};
  console.log(`Catalog of ${N} files (${machine()}); ms, median of 5 (count: of 3; planning: once).\n`);
  console.log(`| catalog | work | ${args.before ? 'before | ' : ''}now |`);
  console.log(`|---|---|${args.before ? '---|' : ''}---|`);
  const fmt = (v: number | string | undefined) => (typeof v === 'number' ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : (v ?? ''));
  for (const [p, f] of Object.entries(results)) {
    for (const [k, v] of Object.entries(f)) console.log(`| ${p} | ${k} | ${args.before ? `${fmt(before[p]?.[k])} | ` : ''}${fmt(v)} |`);
  }
  console.log(`\nPlans:\n\n${allPlans.join('\n\n')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
