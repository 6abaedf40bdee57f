/**
 * Staging refuses a destination that would hold catalogued files or files being received ("a/b"
 * asked, "a/b/c" there) with 409, byte for byte on each catalog: a name that differs only in
 * case, or where "_" or "%" stand, is not below it, however many such names there are, and a real
 * one is found among them.
 */
import pg from 'pg';
import { isLibrarianError } from '../../src/shared/errors';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';

const CHECKSUM = `md5:::${'0'.repeat(32)}`;

describe.each(PROVIDERS)('path clashes at stage on %s', (provider) => {
  let t: TestDomain;
  beforeAll(async () => {
    t = await testDomain(provider);
    const files = [
      // More neighbours than a page of LIKE matches: upper case sorts before lower case.
      ...Array.from({ length: 150 }, (_, i) => `DATA/f${String(i).padStart(3, '0')}`),
      'data/zz',
      'a_b/1',
      'p%q/1',
    ];
    await t.domain.db.file.createMany({ data: files.map((name) => ({ name, createTime: new Date(0), size: 1n, checksum: CHECKSUM, uploader: 'u', source: 'u' })) });
    const store = await t.domain.db.store.findFirstOrThrow();
    // "_" as a wildcard would match "rAs/...", which sorts before "r_s/1".
    const arriving = [...Array.from({ length: 150 }, (_, i) => `RECV/f${String(i).padStart(3, '0')}`), 'recv/zz', ...Array.from({ length: 150 }, (_, i) => `rAs/f${i}`), 'r_s/1', 'r%s/1'];
    await t.domain.db.incomingTransfer.createMany({
      data: arriving.map((storePath, i) => ({
        status: 'ONGOING' as const,
        uploader: 'u',
        source: 'u',
        createdBy: 'u',
        uploadName: 'f',
        transferSize: 1n,
        transferChecksum: CHECKSUM,
        storeId: store.id,
        stagingPath: `staging-${i}`,
        storePath,
      })),
    });
    // An ended transfer below a name does not hold it.
    await t.domain.db.incomingTransfer.create({
      data: { status: 'FAILED', uploader: 'u', source: 'u', createdBy: 'u', uploadName: 'f', transferSize: 1n, transferChecksum: CHECKSUM, storeId: store.id, stagingPath: 'staging-ended', storePath: 'ended/f' },
    });
  });
  afterAll(() => t.close());

  /** The 409 reason staging `destination` meets, or null when it may be staged. */
  async function clash(destination: string): Promise<string | null> {
    try {
      await t.domain.uploads.precheck({ uploadSize: 1, uploadChecksum: CHECKSUM, uploadName: 'x', destination });
      return null;
    } catch (e) {
      if (!isLibrarianError(e) || e.status !== 409) throw e;
      return e.reason;
    }
  }

  test('catalogued files below: found among many names that differ only in case; those alone are no clash', async () => {
    expect(await clash('data')).toBe('"data" holds files on this Librarian (such as "data/zz"), so it cannot be a file itself.');
    expect(await clash('DATA')).toBe('"DATA" holds files on this Librarian (such as "DATA/f000"), so it cannot be a file itself.');
    expect(await clash('Data')).toBeNull();
    expect(await clash('dat')).toBeNull();
  });

  test('"_" and "%" in catalogued names are characters, not wildcards', async () => {
    expect(await clash('a_b')).toBe('"a_b" holds files on this Librarian (such as "a_b/1"), so it cannot be a file itself.');
    expect(await clash('aXb')).toBeNull();
    expect(await clash('p%q')).toBe('"p%q" holds files on this Librarian (such as "p%q/1"), so it cannot be a file itself.');
    expect(await clash('pq')).toBeNull();
    expect(await clash('p')).toBeNull();
  });

  test('files being received below: the same, byte for byte; an ended transfer holds nothing', async () => {
    expect(await clash('recv')).toMatch(/^"recv\/zz" is being received \(transfer \d+\), so "recv" cannot be a file\.$/);
    expect(await clash('RECV')).toMatch(/^"RECV\/f000" is being received \(transfer \d+\), so "RECV" cannot be a file\.$/);
    expect(await clash('Recv')).toBeNull();
    expect(await clash('r_s')).toMatch(/^"r_s\/1" is being received/);
    expect(await clash('rXs')).toBeNull();
    expect(await clash('rAs')).toMatch(/^"rAs\/f0" is being received/);
    expect(await clash('r%s')).toMatch(/^"r%s\/1" is being received/);
    expect(await clash('rs')).toBeNull();
    expect(await clash('ended')).toBeNull();
  });

  test('names above: a catalogued file or an unfinished transfer there is a clash, reported before the names below; an ended one is not; the name itself first of all', async () => {
    expect(await clash('data/zz/inner')).toBe('"data/zz" is a file on this Librarian, so "data/zz/inner" cannot be stored inside it.');
    expect(await clash('recv/zz/a/b')).toMatch(/^"recv\/zz" is being received as a file \(transfer \d+\), so "recv\/zz\/a\/b" cannot be stored inside it\.$/);
    expect(await clash('ended/f/x')).toBeNull();
    expect(await clash('data/zz')).toBe('File "data/zz" already exists on this Librarian.');
    // Both a file above and files below: the file above is named.
    await t.domain.db.file.create({ data: { name: 'data/zz/deeper/f', createTime: new Date(0), size: 1n, checksum: CHECKSUM, uploader: 'u', source: 'u' } });
    expect(await clash('data/zz/deeper')).toBe('"data/zz" is a file on this Librarian, so "data/zz/deeper" cannot be stored inside it.');
  });

  if (provider === 'postgresql') {
    test('incoming destinations are in byte order on PostgreSQL (collation "C"), as file names are', async () => {
      const c = new pg.Client({ connectionString: t.config.database.url });
      await c.connect();
      try {
        const r = await c.query(`SELECT collation_name FROM information_schema.columns WHERE table_name = 'incoming_transfers' AND column_name = 'store_path'`);
        expect(r.rows).toEqual([{ collation_name: 'C' }]);
      } finally {
        await c.end();
      }
    });
  }
});
