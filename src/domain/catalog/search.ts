import path from 'node:path';
import { z } from 'zod';
import { badRequest, notFound } from '../../shared/errors';
import { parseTime } from '../../shared/times';
import { Prisma, type Db } from './db';
import type { LocalStore } from '../stores/localStore';
import type { StoreService } from '../stores/stores';

export interface FileSearch {
  name?: string;
  namePrefix?: string;
  uploader?: string;
  source?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  limit: number;
  cursor?: string;
}

const cursorSchema = z.object({ t: z.string(), n: z.string() });

/** Rows of the page's plain statements, as Prisma returns them on both catalogs (JSON parsed). */
interface FileRow {
  name: string;
  create_time: Date;
  size: bigint;
  checksum: string;
  uploader: string;
  source: string;
}
interface InstanceRow {
  id: number;
  file_name: string;
  path: string;
  store_id: number;
  deletion_policy: 'DISALLOWED' | 'ALLOWED';
  created_time: Date;
  available: boolean;
  checksum_time: Date | null;
  store_name: string;
  store_data: unknown;
}
interface RemoteRow {
  file_name: string;
  store_id: number;
  copy_time: Date;
  librarian_name: string;
}

function encodeCursor(createTime: Date, name: string): string {
  return Buffer.from(JSON.stringify({ t: createTime.toISOString(), n: name })).toString('base64url');
}

function decodeCursor(cursor: string): { t: Date; n: string } {
  let c;
  try {
    c = cursorSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
  } catch {
    c = undefined;
  }
  // A forged time would reach the database as an invalid or out-of-range date.
  const t = c ? parseTime(c.t) : undefined;
  if (!c || !(t instanceof Date)) throw badRequest('The cursor is not valid.', 'Pass back the X-Next-Cursor header of the previous page unchanged.');
  return { t, n: c.n };
}

/**
 * The names that start with `prefix`, byte for byte, as a range: name >= prefix and name < the
 * smallest string above every such name (the prefix with its last code point raised by one).
 * Unlike LIKE, `%` and `_` are plain characters and case counts, and the range keeps using the
 * name's index: SQLite compares TEXT bytewise (BINARY), and on PostgreSQL files.name is collated
 * "C" (migration 20261215000000_file_names_byte_order); in UTF-8, byte order is code point order.
 * The stage's path-clash check (uploads.ts) uses it too, also on incoming_transfers.store_path
 * (collated "C" by 20261217000000_incoming_store_path_byte_order).
 */
export function prefixRange(prefix: string): { gte: string; lt?: string } {
  const points = [...prefix].map((c) => c.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last === 0x10ffff) continue;
    // No string holds a lone surrogate code point: after U+D7FF comes U+E000.
    points.push(last === 0xd7ff ? 0xe000 : last + 1);
    return { gte: prefix, lt: String.fromCodePoint(...points) };
  }
  return { gte: prefix };
}

export interface InstanceSearch {
  id?: number;
  path?: string;
  deletionPolicy?: 'ALLOWED' | 'DISALLOWED';
  createdTime?: Date;
  fileName?: string;
  storeId?: number;
  available?: boolean;
  limit: number;
}

export interface RemoteInstanceSearch {
  id?: number;
  fileName?: string;
  storeId?: number;
  librarianId?: number;
  copyTime?: Date;
  sender?: string;
  limit: number;
}

/** How a name prefix search finds a page; see SearchService.names. Tests lower them to force each way. */
export interface PrefixLimits {
  /** At most this many names in the prefix: read them all and sort. */
  sortNames: number;
  /** Else first walk this many entries of the time index, keeping the prefix's names. */
  walkEntries: number;
  /** Else, for a prefix of at most this many directories, merge the directories' newest files. */
  directories: number;
}

export const PREFIX_LIMITS: PrefixLimits = { sortNames: 10_000, walkEntries: 2_000, directories: 1_000 };

type Way = 'sort' | 'walk' | 'directories';

export class SearchService {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
    private readonly provider: 'sqlite' | 'postgresql',
    private readonly limits: PrefixLimits = PREFIX_LIMITS,
  ) {}

  /** A name's directory: up to and including its last "/" ('' for none), as the index files_directory_time_idx holds it. */
  private get directory(): Prisma.Sql {
    return this.provider === 'sqlite' ? Prisma.raw(`rtrim("name", replace("name", '/', ''))`) : Prisma.raw(`regexp_replace("name", '[^/]*$', '')`);
  }

  private indexed(name: string): Prisma.Sql {
    return this.provider === 'sqlite' ? Prisma.raw(` INDEXED BY "${name}"`) : Prisma.empty;
  }

  /** The search's conditions on time (the window and the cursor), and on everything else. */
  private conditions(q: FileSearch): { time: Prisma.Sql[]; other: Prisma.Sql[] } {
    const c = q.cursor ? decodeCursor(q.cursor) : undefined;
    const time: Prisma.Sql[] = [];
    const other: Prisma.Sql[] = [];
    if (q.name !== undefined) other.push(Prisma.sql`"name" = ${q.name}`);
    if (q.namePrefix !== undefined) {
      const r = prefixRange(q.namePrefix);
      other.push(Prisma.sql`"name" >= ${r.gte}`);
      if (r.lt !== undefined) other.push(Prisma.sql`"name" < ${r.lt}`);
    }
    if (q.uploader !== undefined) other.push(Prisma.sql`"uploader" = ${q.uploader}`);
    if (q.source !== undefined) other.push(Prisma.sql`"source" = ${q.source}`);
    if (q.createdAfter) time.push(Prisma.sql`"create_time" >= ${q.createdAfter}`);
    // One upper bound: given two, SQLite ranges over the first and filters by the second.
    const upper = c && (!q.createdBefore || c.t < q.createdBefore) ? c.t : q.createdBefore;
    if (upper) time.push(Prisma.sql`"create_time" <= ${upper}`);
    if (c) time.push(Prisma.sql`("create_time" < ${c.t} OR "name" > ${c.n})`);
    return { time, other };
  }

  /**
   * The SQL of one page's names (newest first, then by name): the keyset after the cursor is
   * `create_time <= t AND (create_time < t OR name > n)`, whose first term is a range of the
   * index on (create_time DESC, name) (an OR alone makes SQLite read every match and sort). A
   * name prefix is a range of the primary key, which `sort` reads and sorts; `walk` walks the
   * time index instead, keeping the names in the range, at most `entries` of it when given.
   */
  pageSql(q: FileSearch, way: 'sort' | 'walk' = 'sort', entries?: number): Prisma.Sql {
    const { time, other } = this.conditions(q);
    const where = (conds: Prisma.Sql[]) => (conds.length ? Prisma.sql`WHERE ${Prisma.join(conds, ' AND ')}` : Prisma.empty);
    const order = Prisma.sql`ORDER BY "create_time" DESC, "name"`;
    const prefix = q.namePrefix !== undefined && q.name === undefined;
    if (prefix && way === 'walk' && entries !== undefined) {
      // A subquery with a LIMIT is not merged into the outer query by either database.
      // Only the columns filtered on: the time index alone covers name and time.
      const columns = Prisma.raw(['"name"', '"create_time"', ...(q.uploader !== undefined ? ['"uploader"'] : []), ...(q.source !== undefined ? ['"source"'] : [])].join(', '));
      return Prisma.sql`SELECT "name" FROM (SELECT ${columns} FROM "files"${this.indexed('files_create_time_name_idx')} ${where(time)} ${order} LIMIT ${entries}) w ${where(other)} ${order} LIMIT ${q.limit + 1}`;
    }
    // SQLite needs telling (without statistics it takes the name range whenever there is one, and
    // the time range whenever there is one too); PostgreSQL weighs them by its statistics.
    const index = prefix ? this.indexed(way === 'walk' ? 'files_create_time_name_idx' : 'sqlite_autoindex_files_1') : Prisma.empty;
    return Prisma.sql`SELECT "name" FROM "files"${index} ${where([...other, ...time])} ${order} LIMIT ${q.limit + 1}`;
  }

  /** Whether the prefix holds more than limits.sortNames names (counted from the primary key, stopping there). */
  private async manyNames(prefix: string): Promise<boolean> {
    const r = prefixRange(prefix);
    const [row] = await this.db.$queryRaw<{ n: number | bigint }[]>`
      SELECT COUNT(*) AS "n" FROM (SELECT 1 FROM "files" WHERE "name" >= ${r.gte} ${r.lt !== undefined ? Prisma.sql`AND "name" < ${r.lt}` : Prisma.empty} LIMIT ${this.limits.sortNames + 1}) s`;
    return Number(row?.n ?? 0) > this.limits.sortNames;
  }

  private query<T>(sql: Prisma.Sql, trace?: (sql: Prisma.Sql) => void): Promise<T[]> {
    trace?.(sql);
    return this.db.$queryRaw<T[]>(sql);
  }

  private async run(sql: Prisma.Sql, trace?: (sql: Prisma.Sql) => void): Promise<string[]> {
    return (await this.query<{ name: string }>(sql, trace)).map((r) => r.name);
  }

  /**
   * One page's names, and which way they were found. A search by name prefix can be answered
   * by reading the prefix's names and sorting them (costs what the prefix holds), or by walking
   * the time index and keeping the names in the prefix (costs how far back the prefix's newest
   * files are). Neither alone is cheap for a large prefix of old files (docs/benchmarks.md,
   * "Catalog at 1M files"), so: a prefix of few names is sorted; else a short walk is tried; if
   * it meets no page, the page is merged from the prefix's directories (directories); only a
   * prefix of very many directories is walked to the end. `trace` sees each statement run.
   */
  async names(q: FileSearch, trace?: (sql: Prisma.Sql) => void): Promise<{ names: string[]; way: Way }> {
    if (q.namePrefix === undefined || q.name !== undefined) return { names: await this.run(this.pageSql(q), trace), way: 'sort' };
    if (!(await this.manyNames(q.namePrefix))) return { names: await this.run(this.pageSql(q, 'sort'), trace), way: 'sort' };
    const walked = await this.run(this.pageSql(q, 'walk', this.limits.walkEntries), trace);
    if (walked.length > q.limit || (await this.walkedToTheEnd(q, trace))) return { names: walked, way: 'walk' };
    const merged = await this.fromDirectories(q, trace);
    if (merged) return { names: merged, way: 'directories' };
    return { names: await this.run(this.pageSql(q, 'walk'), trace), way: 'walk' };
  }

  /** Whether the search's time range holds at most limits.walkEntries files, all of which a short walk saw. */
  private async walkedToTheEnd(q: FileSearch, trace?: (sql: Prisma.Sql) => void): Promise<boolean> {
    const { time } = this.conditions(q);
    const where = time.length ? Prisma.sql`WHERE ${Prisma.join(time, ' AND ')}` : Prisma.empty;
    const sql = Prisma.sql`SELECT "name" FROM "files"${this.indexed('files_create_time_name_idx')} ${where} ORDER BY "create_time" DESC, "name" LIMIT 1 OFFSET ${this.limits.walkEntries}`;
    return (await this.run(sql, trace)).length === 0;
  }

  /**
   * A page of a name prefix merged from its directories, through the index on (directory,
   * create_time DESC, name): the prefix's directories are found by skipping from one to the next
   * in that index, each with its newest time in the search's window (one index lookup each);
   * the newest directories' files give the page's oldest possible time W; then one query reads,
   * in each directory whose newest time is W or later, only its files from W on. undefined
   * when the prefix has more than limits.directories directories.
   */
  private async fromDirectories(q: FileSearch, trace?: (sql: Prisma.Sql) => void): Promise<string[] | undefined> {
    const r = prefixRange(q.namePrefix!);
    const dir = this.directory;
    const { time, other } = this.conditions(q);
    const below = r.lt !== undefined ? Prisma.sql`AND ${dir} < ${r.lt}` : Prisma.empty;
    const window = time.length ? Prisma.sql`AND ${Prisma.join(time, ' AND ')}` : Prisma.empty;
    const dirsSql = Prisma.sql`WITH RECURSIVE d(x) AS (
        SELECT min(${dir}) FROM "files" WHERE ${dir} >= ${r.gte} ${below}
        UNION ALL
        SELECT (SELECT min(${dir}) FROM "files" WHERE ${dir} > d.x ${below}) FROM d WHERE d.x IS NOT NULL)
      SELECT x AS "dir", (SELECT max("create_time") FROM "files" WHERE ${dir} = d.x ${window}) AS "t" FROM d WHERE x IS NOT NULL LIMIT ${this.limits.directories + 1}`;
    const found = await this.query<{ dir: string; t: Date | string | null }>(dirsSql, trace);
    if (found.length > this.limits.directories) return undefined;
    const dirs = found.filter((d) => d.t !== null).map((d) => ({ dir: d.dir, t: new Date(d.t!) }));
    // The names in the prefix's own directory (the prefix ends inside a name: "a/b" is in "a/"),
    // which sorts before the prefix and so is not among those found above.
    const own = q.namePrefix!.slice(0, q.namePrefix!.lastIndexOf('/') + 1);
    if (own !== q.namePrefix) {
      // Its newest name in the prefix, walking the directory from its newest file (a directory of
      // many names outside the prefix makes this a walk; see docs/benchmarks.md).
      const ownSql = Prisma.sql`SELECT "create_time" AS "t" FROM "files"${this.indexed('files_directory_time_idx')} WHERE ${Prisma.join([Prisma.sql`${dir} = ${own}`, ...other, ...time], ' AND ')} ORDER BY "create_time" DESC LIMIT 1`;
      const [row] = await this.query<{ t: Date | string | null }>(ownSql, trace);
      if (row?.t !== null && row?.t !== undefined) dirs.push({ dir: own, t: new Date(row.t) });
    }
    dirs.sort((a, b) => b.t.getTime() - a.t.getTime());
    const want = q.limit + 1;
    const page = (names: string[], from?: Date) => {
      const conds = [Prisma.sql`${dir} IN (${Prisma.join(names)})`, ...other, ...time];
      if (from) conds.push(Prisma.sql`"create_time" >= ${from}`);
      return Prisma.sql`SELECT "name", "create_time" AS "t" FROM "files"${this.indexed('files_directory_time_idx')} WHERE ${Prisma.join(conds, ' AND ')} ORDER BY "create_time" DESC, "name" LIMIT ${want}`;
    };
    // The newest directories first, more of them each time, until they hold a page's worth.
    const times: number[] = [];
    let next = 0;
    for (let take = 1; next < dirs.length && times.length < want; take *= 2) {
      for (const row of await this.query<{ t: Date | string }>(page(dirs.slice(next, next + take).map((d) => d.dir)), trace)) times.push(new Date(row.t).getTime());
      next += take;
    }
    if (times.length === 0) return [];
    times.sort((a, b) => b - a);
    // No file older than the want-th newest seen so far can be on the page.
    const from = times.length >= want ? new Date(times[want - 1]!) : undefined;
    const candidates = dirs.filter((d) => from === undefined || d.t >= from).map((d) => d.dir);
    return this.run(page(candidates, from), trace);
  }

  /**
   * Newest first (then by name); `nextCursor` is set when more results exist. The page's files,
   * instances (with their stores) and remote copies are read with three plain statements: Prisma's
   * nested include took 2-4 times as long (docs/benchmarks.md, "A page's rows in three statements").
   */
  async files(q: FileSearch) {
    const { names } = await this.names(q);
    if (names.length === 0) return { files: [], nextCursor: undefined };
    const among = Prisma.join(names);
    // At once: on PostgreSQL each goes to a connection of its own.
    const [found, instances, remotes] = await Promise.all([
      this.query<FileRow>(Prisma.sql`SELECT "name", "create_time", "size", "checksum", "uploader", "source" FROM "files" WHERE "name" IN (${among})`),
      this.query<InstanceRow>(Prisma.sql`
        SELECT i."id", i."file_name", i."path", i."store_id", i."deletion_policy", i."created_time", i."available", i."checksum_time", s."name" AS "store_name", s."store_data"
        FROM "instances" i JOIN "stores" s ON s."id" = i."store_id" WHERE i."file_name" IN (${among}) ORDER BY i."id"`),
      this.query<RemoteRow>(Prisma.sql`
        SELECT r."file_name", r."store_id", r."copy_time", l."name" AS "librarian_name"
        FROM "remote_instances" r JOIN "librarians" l ON l."id" = r."librarian_id" WHERE r."file_name" IN (${among}) ORDER BY r."id"`),
    ]);
    const stores = new Map<number, LocalStore>();
    const storeOf = (i: InstanceRow) => {
      if (!stores.has(i.store_id)) stores.set(i.store_id, this.stores.local({ name: i.store_name, storeData: i.store_data }));
      return stores.get(i.store_id)!;
    };
    const byName = new Map(found.map((f) => [f.name, { f, instances: [] as InstanceRow[], remotes: [] as RemoteRow[] }]));
    for (const i of instances) byName.get(i.file_name)?.instances.push(i);
    for (const r of remotes) byName.get(r.file_name)?.remotes.push(r);
    // A file deleted between the queries is left out.
    const rows = names.map((n) => byName.get(n)).filter((f) => f !== undefined);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      files: page.map(({ f, instances: own, remotes: copies }) => ({
        name: f.name,
        createTime: f.create_time,
        size: Number(f.size),
        checksum: f.checksum,
        uploader: f.uploader,
        source: f.source,
        instances: own.map((i) => ({
          id: i.id,
          path: storeOf(i).storePathFor(i.path),
          storeId: i.store_id,
          storeName: i.store_name,
          deletionPolicy: i.deletion_policy,
          createdTime: i.created_time,
          available: i.available,
          checksumTime: i.checksum_time,
        })),
        remoteInstances: copies.map((r) => ({ librarianName: r.librarian_name, storeId: r.store_id, copyTime: r.copy_time })),
      })),
      nextCursor: names.length > q.limit && last ? encodeCursor(last.f.create_time, last.f.name) : undefined,
    };
  }

  /** Local instances matching every filter given, newest first (v2 search/instance_local). */
  async instances(q: InstanceSearch) {
    const rows = await this.db.instance.findMany({
      // Prisma leaves out filters that are undefined.
      where: {
        id: q.id,
        deletionPolicy: q.deletionPolicy,
        createdTime: q.createdTime,
        fileName: q.fileName,
        storeId: q.storeId,
        available: q.available,
        ...(q.path !== undefined ? await this.pathFilter(q.path) : {}),
      },
      orderBy: [{ createdTime: 'desc' }, { id: 'desc' }],
      take: q.limit,
      include: { store: true },
    });
    return rows.map((i) => ({
      id: i.id,
      path: this.stores.local(i.store).storePathFor(i.path),
      fileName: i.fileName,
      storeId: i.storeId,
      storeName: i.store.name,
      deletionPolicy: i.deletionPolicy,
      createdTime: i.createdTime,
      available: i.available,
      checksumTime: i.checksumTime,
    }));
  }

  /** A path relative to its store, or absolute as search/file shows it (under one of our store roots). */
  private async pathFilter(p: string): Promise<Prisma.InstanceWhereInput> {
    if (!path.isAbsolute(p)) return { path: p };
    const under = (await this.db.store.findMany())
      .map((s) => ({ storeId: s.id, rel: path.relative(this.stores.local(s).storeRoot, p) }))
      .filter((c) => c.rel !== '' && !c.rel.startsWith('..') && !path.isAbsolute(c.rel));
    return { OR: under.length > 0 ? under.map((c) => ({ storeId: c.storeId, path: c.rel.split(path.sep).join('/') })) : [{ id: -1 }] };
  }

  /** Copies recorded at other Librarians, newest first (v2 search/instance_remote). */
  async remoteInstances(q: RemoteInstanceSearch) {
    const rows = await this.db.remoteInstance.findMany({
      where: { id: q.id, fileName: q.fileName, storeId: q.storeId, librarianId: q.librarianId, copyTime: q.copyTime, sender: q.sender },
      orderBy: [{ copyTime: 'desc' }, { id: 'desc' }],
      take: q.limit,
      include: { librarian: true },
    });
    return rows.map((r) => ({ id: r.id, fileName: r.fileName, storeId: r.storeId, librarianName: r.librarian.name, copyTime: r.copyTime, sender: r.sender }));
  }

  async requireFile(name: string) {
    const f = await this.db.file.findUnique({ where: { name } });
    if (!f) throw notFound(`No file named "${name}".`, 'Check the name with search/file (librarian search --name-prefix ...).');
    return f;
  }
}
