import path from 'node:path';
import { z } from 'zod';
import { badRequest, notFound } from '../../shared/errors';
import { parseTime } from '../../shared/times';
import { Prisma, type Db } from './db';
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

/** See SearchService.walks. */
const PREFIX_SORT_LIMIT = 10_000;

export class SearchService {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
    private readonly provider: 'sqlite' | 'postgresql',
    private readonly prefixSortLimit = PREFIX_SORT_LIMIT,
  ) {}

  /**
   * The SQL of one page's names (newest first, then by name), as `files` runs it: the keyset
   * after the cursor is `create_time <= t AND (create_time < t OR name > n)`, whose first term is
   * a range of the index on (create_time DESC, name) (an OR alone makes SQLite read every match
   * and sort). A name prefix is a range of the primary key; which of the two ranges a page walks
   * is `walk`'s choice (see files). Exported for bench/catalog.ts, which shows its plans.
   */
  pageSql(q: FileSearch, walk: boolean): Prisma.Sql {
    const c = q.cursor ? decodeCursor(q.cursor) : undefined;
    const conds: Prisma.Sql[] = [];
    if (q.name !== undefined) conds.push(Prisma.sql`"name" = ${q.name}`);
    if (q.namePrefix !== undefined) {
      const r = prefixRange(q.namePrefix);
      conds.push(Prisma.sql`"name" >= ${r.gte}`);
      if (r.lt !== undefined) conds.push(Prisma.sql`"name" < ${r.lt}`);
    }
    if (q.uploader !== undefined) conds.push(Prisma.sql`"uploader" = ${q.uploader}`);
    if (q.source !== undefined) conds.push(Prisma.sql`"source" = ${q.source}`);
    if (q.createdAfter) conds.push(Prisma.sql`"create_time" >= ${q.createdAfter}`);
    // One upper bound: given two, SQLite ranges over the first and filters by the second.
    const upper = c && (!q.createdBefore || c.t < q.createdBefore) ? c.t : q.createdBefore;
    if (upper) conds.push(Prisma.sql`"create_time" <= ${upper}`);
    if (c) conds.push(Prisma.sql`("create_time" < ${c.t} OR "name" > ${c.n})`);
    const where = conds.length ? Prisma.sql`WHERE ${Prisma.join(conds, ' AND ')}` : Prisma.empty;
    // SQLite needs telling (without statistics it takes the name range whenever there is one, and
    // the time range whenever there is one too); PostgreSQL weighs them by its statistics.
    const index = this.provider === 'sqlite' && q.namePrefix !== undefined && q.name === undefined ? Prisma.raw(` INDEXED BY "${walk ? 'files_create_time_name_idx' : 'sqlite_autoindex_files_1'}"`) : Prisma.empty;
    return Prisma.sql`SELECT "name" FROM "files"${index} ${where} ORDER BY "create_time" DESC, "name" LIMIT ${q.limit + 1}`;
  }

  /**
   * Whether a page of a name prefix search walks the time index (filtering names as it goes)
   * rather than reading every name in the prefix's range and sorting them: yes, when the prefix
   * has more than prefixSortLimit names (counted from the primary key, stopping there), where
   * the walk meets a page's worth soon and sorting would cost more (docs/benchmarks.md, "Catalog
   * at 1M files"). Asked on SQLite only, which has no statistics to choose by; PostgreSQL
   * chooses by its statistics of names. Other searches take the database's choice.
   */
  async walks(q: FileSearch): Promise<boolean> {
    if (this.provider !== 'sqlite' || q.namePrefix === undefined || q.name !== undefined) return false;
    const r = prefixRange(q.namePrefix);
    const [row] = await this.db.$queryRaw<{ n: number | bigint }[]>`
      SELECT COUNT(*) AS "n" FROM (SELECT 1 FROM "files" WHERE "name" >= ${r.gte} ${r.lt !== undefined ? Prisma.sql`AND "name" < ${r.lt}` : Prisma.empty} LIMIT ${this.prefixSortLimit + 1}) s`;
    return Number(row?.n ?? 0) > this.prefixSortLimit;
  }

  /** Newest first (then by name); `nextCursor` is set when more results exist. */
  async files(q: FileSearch) {
    const names = (await this.db.$queryRaw<{ name: string }[]>(this.pageSql(q, await this.walks(q)))).map((r) => r.name);
    const found = await this.db.file.findMany({
      where: { name: { in: names } },
      include: { instances: { include: { store: true }, orderBy: { id: 'asc' } }, remoteInstances: { include: { librarian: true }, orderBy: { id: 'asc' } } },
    });
    const byName = new Map(found.map((f) => [f.name, f]));
    // A file deleted between the two queries is left out.
    const rows = names.map((n) => byName.get(n)).filter((f) => f !== undefined);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      files: page.map((f) => ({
        name: f.name,
        createTime: f.createTime,
        size: Number(f.size),
        checksum: f.checksum,
        uploader: f.uploader,
        source: f.source,
        instances: f.instances.map((i) => ({
          id: i.id,
          path: this.stores.local(i.store).storePathFor(i.path),
          storeId: i.storeId,
          storeName: i.store.name,
          deletionPolicy: i.deletionPolicy,
          createdTime: i.createdTime,
          available: i.available,
          checksumTime: i.checksumTime,
        })),
        remoteInstances: f.remoteInstances.map((r) => ({ librarianName: r.librarian.name, storeId: r.storeId, copyTime: r.copyTime })),
      })),
      nextCursor: names.length > q.limit && last ? encodeCursor(last.createTime, last.name) : undefined,
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
