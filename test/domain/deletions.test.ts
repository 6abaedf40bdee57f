/**
 * Deleting local copies and importing data in the domain (domain/audit/deletions,
 * domain/stores/imports), on each catalog, with real files. Deletion: every guard that needs no
 * peer keeps a copy with its reason (policy, age, readers, last copy), a peer that does not
 * answer gives no evidence, a forced deletion still never takes the last copy, and each deletion
 * is recorded. (Peers that answer are in test/e2e/keepingDataSafe.) Import: data under a store
 * root is hashed where it lies and catalogued, declared sizes and checksums must match, and it
 * resolves a dark finding.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isLibrarianError, type LibrarianError } from '../../src/shared/errors';
import { checksumOf, closeChecksums, makeBook, makeFile, tmpDir } from '../support/data';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';
import { freePort } from '../support/ports';

afterAll(() => closeChecksums());

const DAY = 86_400_000;

async function refusal(p: Promise<unknown>): Promise<LibrarianError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isLibrarianError(e)) throw new Error(`expected a LibrarianError, got ${String(e)}`);
  return e;
}

describe.each(PROVIDERS)('deletions and imports on %s', (provider) => {
  let t: TestDomain;
  const data = tmpDir('deletion-src-');
  const root = () => path.join(t.dir, 'stores/main/store');
  beforeAll(async () => {
    t = await testDomain(provider, { config: { rollingDeletion: [{ name: 'disk', store: 'main', olderThan: '7d', minCopies: 2, verifiedWithin: '2d', every: 0 }] } });
    await t.domain.peers.add({ name: 'gone', url: '127.0.0.1', port: await freePort(), authenticator: 'us:pw', checkConnection: false });
  });
  afterAll(() => t.close());

  async function catalogue(opts: { ageDays?: number; policy?: 'ALLOWED' | 'DISALLOWED'; remoteAt?: string[] } = {}) {
    const { db } = t.domain;
    const store = await db.store.findUniqueOrThrow({ where: { name: 'main' } });
    const name = `d/${randomUUID()}.dat`;
    const local = makeFile(path.join(data, `${randomUUID()}.dat`), 5_000);
    const { checksum } = await checksumOf(local);
    mkdirSync(path.dirname(path.join(root(), name)), { recursive: true });
    cpSync(local, path.join(root(), name));
    const created = new Date(Date.now() - (opts.ageDays ?? 10) * DAY);
    const f = await db.file.create({
      data: { name, createTime: created, size: 5_000n, checksum, uploader: 'u', source: 'u', instances: { create: { path: name, storeId: store.id, deletionPolicy: opts.policy ?? 'ALLOWED', checksumTime: new Date() } } },
      include: { instances: true },
    });
    for (const peer of opts.remoteAt ?? []) {
      const p = await db.librarian.findUniqueOrThrow({ where: { name: peer } });
      await db.remoteInstance.create({ data: { fileName: name, librarianId: p.id, storeId: 1, sender: t.config.name } });
    }
    return { name, id: f.instances[0]!.id, abs: path.join(root(), name) };
  }

  const guard = () => ({ minCopies: 2, verifiedWithinMs: 2 * DAY, olderThanMs: 7 * DAY, store: 'main' });
  const decide = (id: number, extra: { dryRun?: boolean; force?: boolean } = {}) => t.domain.deletions.decide(id, guard(), { dryRun: false, by: 'policy:disk', ...extra });

  test('an unknown policy is a 404 that names the configured ones', async () => {
    const e = await refusal(Promise.resolve().then(() => t.domain.deletions.policy('nope')));
    expect([e.status, e.reason, e.suggestedRemedy]).toEqual([404, 'No rolling deletion policy named "nope".', 'Configured policies: disk.']);
  });

  test("candidates: the policy's store, in use, files older than olderThan", async () => {
    const old = await catalogue({ ageDays: 10 });
    const young = await catalogue({ ageDays: 3 });
    const ids = await t.domain.deletions.candidates('disk', 0, 10_000);
    expect(ids).toContain(old.id);
    expect(ids).not.toContain(young.id);
    expect(await t.domain.deletions.candidates('disk', old.id, 10_000)).not.toContain(old.id);
  });

  test('each guard that needs no peer keeps the copy, saying why; nothing is touched', async () => {
    const lonely = await catalogue({ remoteAt: [] });
    expect(await decide(lonely.id)).toMatchObject({ action: 'kept', reasons: ['it is the only copy known anywhere'] });
    const disallowed = await catalogue({ policy: 'DISALLOWED', remoteAt: ['gone'] });
    expect((await decide(disallowed.id)).reasons).toEqual(['its deletion policy is DISALLOWED']);
    const young = await catalogue({ ageDays: 1, remoteAt: ['gone'] });
    expect((await decide(young.id)).reasons).toEqual(['the file is younger than 7 days']);
    const sending = await catalogue({ remoteAt: ['gone'] });
    await t.domain.transfers.outgoing.record(t.domain.db, [{ destination: 'gone', fileName: sending.name, size: 5000, checksum: 'x', instanceId: sending.id, batchId: `clone/x/gone/${randomUUID()}-0` }], 'ONGOING');
    expect((await decide(sending.id)).reasons).toEqual(['it is being sent to gone']);
    for (const f of [lonely, disallowed, young, sending]) {
      expect(existsSync(f.abs)).toBe(true);
      expect((await t.domain.db.instance.findUniqueOrThrow({ where: { id: f.id } })).available).toBe(true);
    }
    expect(await t.domain.db.deletion.count()).toBe(0);
  });

  test('a peer that does not answer is no evidence: the copy is kept, with what each peer said', async () => {
    const f = await catalogue({ remoteAt: ['gone'] });
    const d = await decide(f.id);
    expect(d.action).toBe('kept');
    expect(d.reasons).toHaveLength(1);
    expect(d.reasons[0]).toMatch(/^0 other Librarians verified a matching copy within 2 days, 2 required; gone: .*Cannot reach the Librarian.*ECONNREFUSED/);
    expect(d.evidence).toEqual([{ librarian: 'gone', verifiedAt: null, matches: false, problem: expect.stringContaining('ECONNREFUSED') }]);
    expect(existsSync(f.abs)).toBe(true);
  });

  test('forced: deleted without asking, recorded with who and how; the row stays, unavailable', async () => {
    const f = await catalogue({ policy: 'DISALLOWED', remoteAt: ['gone'] });
    const d = await t.domain.deletions.decide(f.id, { minCopies: 1, verifiedWithinMs: DAY }, { dryRun: false, by: 'operator:admin', force: true });
    expect(d).toMatchObject({ action: 'deleted', reasons: [], evidence: [] });
    expect(existsSync(f.abs)).toBe(false);
    expect((await t.domain.db.instance.findUniqueOrThrow({ where: { id: f.id } })).available).toBe(false);
    const [row] = await t.domain.deletions.history({ fileName: f.name });
    expect(row).toMatchObject({ fileName: f.name, instanceId: f.id, path: f.name, by: 'operator:admin', evidence: { copies: [], forced: true, minCopies: 1 } });
    // Deleting it again: nothing to do.
    expect((await decide(f.id, { force: true })).reasons).toEqual(['it is not in use here (already deleted, damaged or away)']);
    // Forced or not, never the last copy.
    const lonely = await catalogue();
    expect(await t.domain.deletions.decide(lonely.id, { minCopies: 1, verifiedWithinMs: DAY }, { dryRun: false, by: 'operator:admin', force: true })).toMatchObject({ action: 'kept', reasons: ['it is the only copy known anywhere'] });
  });

  test('v2 delete_local: with delete_file the data goes; without, only the row (the data stays, uncatalogued); never the last copy', async () => {
    const withData = await catalogue({ remoteAt: ['gone'] });
    await t.domain.deletions.deleteLocalV2(withData.id, true, 'operator:admin');
    expect(existsSync(withData.abs)).toBe(false);
    const rowOnly = await catalogue({ remoteAt: ['gone'] });
    await t.domain.deletions.deleteLocalV2(rowOnly.id, false, 'operator:admin');
    expect(existsSync(rowOnly.abs)).toBe(true);
    expect(await t.domain.db.instance.findUnique({ where: { id: rowOnly.id } })).toBeNull();
    expect((await t.domain.deletions.history({ fileName: rowOnly.name }))[0]).toMatchObject({ by: 'operator:admin', evidence: { forced: true, dataKept: true } });
    const lonely = await catalogue();
    const e = await refusal(t.domain.deletions.deleteLocalV2(lonely.id, true, 'operator:admin'));
    expect([e.status, e.reason]).toEqual([409, `Instance ${lonely.id} holds the only copy of "${lonely.name}" known anywhere; it is not deleted.`]);
    expect((await refusal(t.domain.deletions.deleteLocalV2(999_999, true, 'operator:admin'))).status).toBe(404);
  });

  describe('import', () => {
    test('a file and a book under the store root are hashed where they lie and catalogued; again, nothing new', async () => {
      const dir = `archive/${randomUUID()}`;
      const file = makeFile(path.join(root(), dir, 'night-1.dat'), 7_000);
      makeBook(path.join(root(), dir, 'book-2'), 3, 4_000);
      await t.domain.findings.record({ kind: 'DARK', storeId: (await t.domain.stores.row('main')).id, storeName: 'main', path: `${dir}/night-1.dat`, detail: 'dark' });
      expect(await t.domain.imports.entries('main', dir, 1)).toEqual([`${dir}/book-2`, `${dir}/night-1.dat`]);
      const r = await t.domain.imports.importEntry('main', { path: `${dir}/night-1.dat`, uploader: 'admin', source: t.config.name });
      expect(r).toMatchObject({ path: `${dir}/night-1.dat`, fileName: `${dir}/night-1.dat`, outcome: 'catalogued', size: 7_000, checksum: (await checksumOf(file)).checksum });
      const book = await t.domain.imports.importEntry('main', { path: path.join(root(), dir, 'book-2'), uploader: 'admin', source: t.config.name });
      expect(book).toMatchObject({ fileName: `${dir}/book-2`, outcome: 'catalogued', size: 12_003 });
      const row = await t.domain.db.file.findUniqueOrThrow({ where: { name: `${dir}/book-2` }, include: { instances: true } });
      expect(row).toMatchObject({ uploader: 'admin', source: t.config.name, size: 12_003n, checksum: book.checksum });
      expect(row.instances).toEqual([expect.objectContaining({ path: `${dir}/book-2`, deletionPolicy: 'DISALLOWED', available: true })]);
      expect((await t.domain.imports.importEntry('main', { path: `${dir}/book-2`, uploader: 'admin', source: 'x' })).outcome).toBe('already-catalogued');
      // The audit had reported the file as dark: imported, it no longer is.
      const dark = (await t.domain.findings.list({ kind: 'DARK', includeResolved: true })).filter((f) => f.path === `${dir}/night-1.dat`);
      expect(dark.map((f) => [f.resolvedAt !== null, f.resolution])).toEqual([[true, 'imported']]);
    });

    test('bad input is refused with what to do, and nothing is catalogued', async () => {
      const dir = `archive/${randomUUID()}`;
      makeFile(path.join(root(), dir, 'a.dat'), 1_000);
      const outside = await refusal(t.domain.imports.importEntry('main', { path: '/etc/passwd', uploader: 'a', source: 'b' }));
      expect([outside.status, outside.reason]).toEqual([400, `/etc/passwd is not under the root of store "main" (${root()}).`]);
      const traversal = await refusal(t.domain.imports.importEntry('main', { path: '../staging/x', uploader: 'a', source: 'b' }));
      expect(traversal.status).toBe(400);
      const missing = await refusal(t.domain.imports.importEntry('main', { path: `${dir}/nope.dat`, uploader: 'a', source: 'b' }));
      expect([missing.status, missing.reason]).toEqual([400, `File ${path.join(root(), dir, 'nope.dat')} does not exist.`]);
      const declared = await refusal(t.domain.imports.importEntry('main', { path: `${dir}/a.dat`, uploader: 'a', source: 'b', declared: { size: 1_000, checksum: `xxh3:::${'0'.repeat(32)}` } }));
      expect(declared.status).toBe(400);
      expect(declared.reason).toMatch(new RegExp(`^The data at ${path.join(root(), dir, 'a.dat').replace(/[./]/g, '\\$&')} is 1000 bytes hashing to xxh3:::[0-9a-f]{32}, not the declared 1000 bytes and xxh3:::0{32}\\.$`));
      const other = await catalogue();
      writeFileSync(path.join(root(), dir, 'a.dat'), readFileSync(path.join(root(), dir, 'a.dat')).subarray(0, 10));
      const clash = await refusal(t.domain.imports.importEntry('main', { path: `${dir}/a.dat`, name: other.name, uploader: 'a', source: 'b' }));
      expect(clash.status).toBe(409);
      expect(await t.domain.db.file.findUnique({ where: { name: `${dir}/a.dat` } })).toBeNull();
    });

    test('v2 add_file: a known file is left alone; an unknown store is a 400', async () => {
      const known = await catalogue();
      expect(await t.domain.imports.addFileV2('main', { path: known.abs, name: known.name, uploader: 'a', source: 'b' })).toEqual({ alreadyExists: true });
      const e = await refusal(t.domain.imports.addFileV2('nope', { path: known.abs, name: 'x', uploader: 'a', source: 'b' }));
      expect([e.status, e.reason]).toEqual([400, 'Store nope does not exist.']);
      const dir = `v2/${randomUUID()}`;
      const f = makeFile(path.join(root(), dir, 'c.dat'), 2_000);
      const { checksum } = await checksumOf(f);
      const created = new Date('2026-01-02T03:04:05Z');
      expect(await t.domain.imports.addFileV2('main', { path: f, name: `${dir}/c.dat`, uploader: 'pipeline', source: 'pipeline', declared: { size: 2_000, checksum }, createTime: created })).toEqual({ alreadyExists: false });
      expect(await t.domain.db.file.findUniqueOrThrow({ where: { name: `${dir}/c.dat` } })).toMatchObject({ createTime: created, checksum, uploader: 'pipeline' });
    });
  });
});
