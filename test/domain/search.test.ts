/**
 * search/file's name_prefix on each catalog: a byte-exact prefix (no LIKE wildcards, case
 * counts), found through the name's index.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { sqlitePath } from '../../src/domain/catalog/db';
import { PREFIX_LIMITS, SearchService, type FileSearch, type PrefixLimits } from '../../src/domain/catalog/search';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';

const NAMES = [
  'obs/a',
  'OBS/b',
  'obs_x/c',
  'obsXx/d',
  'a%b/1',
  'aZb/2',
  'a\\b/3',
  'e/1',
  'E/1',
  'é/1',
  'z\u{10FFFF}a',
  '{x',
  'q\uD7FFb',
  'q\uE000',
  'q\u{10000}',
];

describe.each(PROVIDERS)('name_prefix on %s', (provider) => {
  let t: TestDomain;
  beforeAll(async () => {
    t = await testDomain(provider);
    for (const [i, name] of NAMES.entries()) {
      await t.domain.db.file.create({ data: { name, createTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)), size: 1n, checksum: `md5:::${'0'.repeat(32)}`, uploader: 'u', source: 'u' } });
    }
  });
  afterAll(() => t.close());

  const found = async (prefix: string, limit = 100) => (await t.domain.search.files({ namePrefix: prefix, limit })).files.map((f) => f.name).sort();

  test('matches the prefix byte for byte: % and _ are characters, case counts', async () => {
    expect(await found('obs/')).toEqual(['obs/a']);
    expect(await found('OBS/')).toEqual(['OBS/b']);
    expect(await found('obs_')).toEqual(['obs_x/c']);
    expect(await found('a%')).toEqual(['a%b/1']);
    expect(await found('a\\')).toEqual(['a\\b/3']);
    expect(await found('e')).toEqual(['e/1']);
    expect(await found('é')).toEqual(['é/1']);
    expect(await found('z\u{10FFFF}')).toEqual(['z\u{10FFFF}a']);
    // Above U+D7FF comes U+E000 (no string holds a lone surrogate); U+10000 sorts after both.
    expect(await found('q\uD7FF')).toEqual(['q\uD7FFb']);
    expect(await found('q\u{10000}')).toEqual(['q\u{10000}']);
    expect(await found('')).toEqual([...NAMES].sort());
    expect(await found('nothing')).toEqual([]);
    // With name too, both must hold.
    expect((await t.domain.search.files({ name: 'obs/a', namePrefix: 'OBS/', limit: 10 })).files).toEqual([]);
  });

  test('pages through a prefix with the cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await t.domain.search.files({ namePrefix: 'q', limit: 1, cursor });
      seen.push(...page.files.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['q\u{10000}', 'q\uE000', 'q\uD7FFb']);
  });

  test('the range is answered from the index of file names, in byte order', async () => {
    const url = t.config.database.url;
    if (provider === 'sqlite') {
      const file = sqlitePath(url);
      const db = new Database(path.isAbsolute(file) ? file : path.join(t.dir, file), { readonly: true });
      const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT "name" FROM "files" WHERE "name" >= ? AND "name" < ?`).all('obs/', 'obs0') as { detail: string }[];
      db.close();
      expect(plan.map((p) => p.detail).join('\n')).toMatch(/SEARCH files USING (COVERING )?INDEX sqlite_autoindex_files_1 \(name>\? AND name<\?\)/);
      return;
    }
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const collations = await c.query(`SELECT table_name, column_name, collation_name FROM information_schema.columns WHERE (table_name, column_name) IN (('files', 'name'), ('instances', 'file_name'), ('remote_instances', 'file_name'), ('outgoing_transfers', 'file_name')) ORDER BY 1`);
      expect(collations.rows).toEqual([
        { table_name: 'files', column_name: 'name', collation_name: 'C' },
        { table_name: 'instances', column_name: 'file_name', collation_name: 'C' },
        { table_name: 'outgoing_transfers', column_name: 'file_name', collation_name: 'C' },
        { table_name: 'remote_instances', column_name: 'file_name', collation_name: 'C' },
      ]);
      // A table this small is read whole unless that is ruled out: can the index answer it?
      await c.query('SET enable_seqscan = off');
      const plan = await c.query(`EXPLAIN SELECT "name" FROM "files" WHERE "name" >= $1 AND "name" < $2`, ['obs/', 'obs0']);
      expect(plan.rows.map((r: Record<string, string>) => r['QUERY PLAN']).join('\n')).toMatch(/Index (Only )?Scan (using|on) files_pkey[\s\S]*Index Cond: \(\(name >= 'obs\/'::text\) AND \(name < 'obs0'::text\)\)/);
    } finally {
      await c.end();
    }
  });
});

/**
 * Paging: every matching file exactly once, newest first then by name in byte order, whichever
 * way a prefix's pages are found (its names sorted, the time index walked, its directories merged;
 * lowered limits force each), with names that share creation times, are prefixes of each other,
 * hold "%", "_" and multi-byte characters, and directories whose times interleave.
 */
describe.each(PROVIDERS)('paging search/file on %s', (provider) => {
  let t: TestDomain;
  const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
  // [name, second of creation]: several share a second, so the cursor's name decides.
  const FILES: [string, number][] = [
    ['p/a', 5],
    ['p/a_', 5],
    ['p/a%', 5],
    ['p/a/b', 5],
    ['p/ab', 4],
    ['p/aé', 4],
    ['p/a\u{1F600}', 4],
    ['p/a\uE000', 3],
    ['p/a\uD7FF', 3],
    ['p/aa', 2],
    ['p/a_b', 2],
    ['p/', 1],
    ['p', 1],
    ['pa', 5],
    ['p_x', 5],
    ['q/a', 5],
    // Directories below the prefix whose times interleave (merged from directories).
    ['p/d1/x', 6],
    ['p/d1/y', 1],
    ['p/d2/x', 5],
    ['p/d2/y', 2],
    ['p/d3/z', 0],
    ['p/d3/zz', 6],
  ];
  const bytes = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  beforeAll(async () => {
    t = await testDomain(provider);
    for (const [name, s] of FILES) await t.domain.db.file.create({ data: { name, createTime: T(s), size: 1n, checksum: `md5:::${'0'.repeat(32)}`, uploader: 'u', source: 'u' } });
  });
  afterAll(() => t.close());

  /** Every page of a search, as names. */
  async function pages(search: SearchService, q: Omit<FileSearch, 'limit' | 'cursor'>, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await search.files({ ...q, limit, cursor });
      expect(page.files.length).toBeLessThanOrEqual(limit);
      seen.push(...page.files.map((f) => f.name));
      cursor = page.nextCursor;
    } while (cursor);
    return seen;
  }

  const expected = (match: (name: string, s: number) => boolean) =>
    FILES.filter(([n, s]) => match(n, s))
      .sort(([a, x], [b, y]) => y - x || bytes(a, b))
      .map(([n]) => n);

  const ways: [string, PrefixLimits, string][] = [
    ['sorting the prefix\'s names', PREFIX_LIMITS, 'sort'],
    ['walking the time index', { ...PREFIX_LIMITS, sortNames: 0 }, 'walk'],
    ['merging its directories', { ...PREFIX_LIMITS, sortNames: 0, walkEntries: 0 }, 'directories'],
    ['walking the time index after too many directories', { sortNames: 0, walkEntries: 0, directories: 0 }, 'walk'],
  ];
  test.each(ways)('by prefix, %s, in pages of 1, 2 and 3', async (_, limits, way) => {
    const search = new SearchService(t.domain.db, t.domain.stores, provider, limits);
    for (const prefix of ['p/a', 'p/a_', 'p', 'p/', 'p/d', 'p/d1/', 'p/a\u{1F600}', 'p/a\uD7FF']) {
      for (const limit of [1, 2, 3]) expect([prefix, limit, await pages(search, { namePrefix: prefix }, limit)]).toEqual([prefix, limit, expected((n) => n.startsWith(prefix))]);
    }
    // The way it says it took is the way tested (a walk of 0 entries finds nothing).
    const ways = new Set<string>();
    for (const prefix of ['p', 'p/d', 'p/a']) ways.add((await search.names({ namePrefix: prefix, limit: 2 })).way);
    expect([...ways]).toEqual([way]);
  });

  test.each(ways)('by prefix and time window, %s, in pages of 2', async (_, limits) => {
    const search = new SearchService(t.domain.db, t.domain.stores, provider, limits);
    for (const prefix of ['p', 'p/d', 'p/a']) {
      expect(await pages(search, { createdAfter: T(2), createdBefore: T(5), namePrefix: prefix }, 2)).toEqual(expected((n, s) => s >= 2 && s <= 5 && n.startsWith(prefix)));
      expect(await pages(search, { createdBefore: T(4), namePrefix: prefix, uploader: 'u' }, 2)).toEqual(expected((n, s) => s <= 4 && n.startsWith(prefix)));
      expect(await pages(search, { namePrefix: prefix, uploader: 'nobody' }, 2)).toEqual([]);
    }
  });

  test('by time window, alone and with a prefix, in pages of 2', async () => {
    const { search } = t.domain;
    expect(await pages(search, { createdAfter: T(2), createdBefore: T(4) }, 2)).toEqual(expected((_, s) => s >= 2 && s <= 4));
    expect(await pages(search, { createdAfter: T(3), createdBefore: T(5), namePrefix: 'p/a' }, 2)).toEqual(expected((n, s) => s >= 3 && n.startsWith('p/a')));
    expect(await pages(search, {}, 3)).toEqual(expected(() => true));
  });
});

describe.each(PROVIDERS)('a page of files on %s', (provider) => {
  let t: TestDomain;
  beforeAll(async () => {
    t = await testDomain(provider);
  });
  afterAll(() => t.close());

  test("each file comes with its instances (with their stores' paths) and its copies at peers, exactly as catalogued, in the order they were made", async () => {
    const db = t.domain.db;
    const main = (await db.store.findMany({ orderBy: { id: 'asc' } }))[0]!;
    const other = await db.store.create({ data: { name: 'other', storeData: { stagingPath: path.join(t.dir, 'other/staging'), storePath: path.join(t.dir, 'other/store') }, transferMethods: {} } });
    const ms = (s: string) => new Date(s);
    // A size beyond 32 bits, times with milliseconds, a policy and an availability of each kind.
    const file = await db.file.create({ data: { name: 'rows/f', createTime: ms('2026-02-02T03:04:05.678Z'), size: 12_345_678_901n, checksum: `md5:::${'1'.repeat(32)}`, uploader: 'pipe', source: 'alice' } });
    await db.file.create({ data: { name: 'rows/g', createTime: ms('2026-02-01T00:00:00.000Z'), size: 0n, checksum: `md5:::${'2'.repeat(32)}`, uploader: 'pipe', source: 'bob' } });
    const first = await db.instance.create({ data: { fileName: 'rows/f', path: 'rows/f', storeId: other.id, deletionPolicy: 'ALLOWED', createdTime: ms('2026-02-03T00:00:00.001Z'), available: false, checksumTime: ms('2026-02-04T01:02:03.456Z') } });
    const second = await db.instance.create({ data: { fileName: 'rows/f', path: 'rows/f', storeId: main.id, deletionPolicy: 'DISALLOWED', createdTime: ms('2026-02-03T00:00:00.002Z'), available: true } });
    const [peerA, peerB] = [await db.librarian.create({ data: { name: 'peer-a', url: 'http://a', port: 1, authenticator: 'x' } }), await db.librarian.create({ data: { name: 'peer-b', url: 'http://b', port: 1, authenticator: 'x' } })];
    await db.remoteInstance.create({ data: { fileName: 'rows/f', librarianId: peerB.id, storeId: 7, copyTime: ms('2026-02-05T00:00:00.005Z'), sender: 'peer-b' } });
    await db.remoteInstance.create({ data: { fileName: 'rows/f', librarianId: peerA.id, storeId: 3, copyTime: ms('2026-02-06T00:00:00.006Z'), sender: 'peer-a' } });

    const page = await t.domain.search.files({ namePrefix: 'rows/', limit: 1 });
    expect(page.files).toEqual([
      {
        name: 'rows/f',
        createTime: file.createTime,
        size: 12_345_678_901,
        checksum: `md5:::${'1'.repeat(32)}`,
        uploader: 'pipe',
        source: 'alice',
        instances: [
          { id: first.id, path: path.join(t.dir, 'other/store/rows/f'), storeId: other.id, storeName: 'other', deletionPolicy: 'ALLOWED', createdTime: ms('2026-02-03T00:00:00.001Z'), available: false, checksumTime: ms('2026-02-04T01:02:03.456Z') },
          { id: second.id, path: t.domain.stores.local(main).storePathFor('rows/f'), storeId: main.id, storeName: main.name, deletionPolicy: 'DISALLOWED', createdTime: ms('2026-02-03T00:00:00.002Z'), available: true, checksumTime: null },
        ],
        remoteInstances: [
          { librarianName: 'peer-b', storeId: 7, copyTime: ms('2026-02-05T00:00:00.005Z') },
          { librarianName: 'peer-a', storeId: 3, copyTime: ms('2026-02-06T00:00:00.006Z') },
        ],
      },
    ]);
    const next = await t.domain.search.files({ namePrefix: 'rows/', limit: 1, cursor: page.nextCursor });
    expect(next).toEqual({ files: [{ name: 'rows/g', createTime: ms('2026-02-01T00:00:00.000Z'), size: 0, checksum: `md5:::${'2'.repeat(32)}`, uploader: 'pipe', source: 'bob', instances: [], remoteInstances: [] }], nextCursor: undefined });
    expect(await t.domain.search.files({ namePrefix: 'nothing/', limit: 1 })).toEqual({ files: [], nextCursor: undefined });
  });
});
