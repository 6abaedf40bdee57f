/**
 * Store audits in the domain (domain/audit), on each catalog, with real files: what is due, chunks
 * of work that carry on where a crash stopped them, lost, corrupt and dark data recorded once and
 * resolved, and an unmounted store left alone.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checksumOf, closeChecksums, makeBook, makeFile, tmpDir } from '../support/data';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';
import { fakeSlack, type FakeSlack } from '../support/slack';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
let slack: FakeSlack;
beforeAll(async () => {
  slack = await fakeSlack();
});
afterAll(async () => {
  await slack.close();
  await closeChecksums();
});

describe.each(PROVIDERS)('audits on %s', (provider) => {
  let t: TestDomain;
  const data = tmpDir('audit-src-');
  const root = () => path.join(t.dir, 'stores/main/store');
  beforeAll(async () => {
    t = await testDomain(provider, { config: { notifications: { slackWebhookUrl: slack.url } } });
  });
  afterAll(() => t.close());

  /** Catalogues files directly in the store, verified `ageDays` ago. */
  async function catalogue(n: number, ageDays: number, size = 10_000): Promise<string[]> {
    const { db } = t.domain;
    const store = await db.store.findUniqueOrThrow({ where: { name: 'main' } });
    const names: string[] = [];
    for (let i = 0; i < n; i++) {
      const name = `a/${randomUUID()}.dat`;
      const local = makeFile(path.join(data, `${randomUUID()}.dat`), size);
      mkdirSync(path.dirname(path.join(root(), name)), { recursive: true });
      cpSync(local, path.join(root(), name));
      const { checksum } = await checksumOf(local);
      const verified = new Date(Date.now() - ageDays * DAY);
      await db.file.create({ data: { name, createTime: verified, size: BigInt(size), checksum, uploader: 'u', source: 'u', instances: { create: { path: name, storeId: store.id, checksumTime: verified, calculatedChecksum: checksum, calculatedSize: BigInt(size) } } } });
      names.push(name);
    }
    return names;
  }

  test('due instances are re-hashed oldest first, in chunks; what was verified is no longer due, so a second chunk carries on', async () => {
    const old = await catalogue(3, 40);
    await catalogue(2, 5);
    const plan = await t.domain.audit.plan('main', ago(30));
    expect(plan).toEqual({ store: 'main', mounted: true, instances: 3, bytes: 30_000 });
    // A chunk of 20 kB does two files (at least one; past the budget only with the first).
    const first = await t.domain.audit.chunk('main', ago(30), 20_000);
    expect(first).toMatchObject({ checked: 2, bytes: 20_000, good: 2, lost: 0, corrupt: 0, more: true, mounted: true });
    expect(await t.domain.audit.plan('main', ago(30))).toMatchObject({ instances: 1, bytes: 10_000 });
    const second = await t.domain.audit.chunk('main', ago(30), 20_000);
    expect(second).toMatchObject({ checked: 1, good: 1, more: false });
    const rows = await t.domain.db.instance.findMany({ where: { fileName: { in: old } } });
    expect(rows.every((r) => r.checksumTime!.getTime() > Date.now() - 60_000)).toBe(true);
    expect(await t.domain.audit.plan('main', ago(30))).toMatchObject({ instances: 0, bytes: 0 });
  });

  test('a paced chunk reads at most bytesPerSecond on average from its start, over all its instances', async () => {
    await catalogue(3, 40);
    const t0 = Date.now();
    // 30 kB at 60 kB/s: the third file's read may end no sooner than 0.5 s after the start.
    expect(await t.domain.audit.chunk('main', ago(30), 1e9, 60_000)).toMatchObject({ checked: 3, good: 3, bytes: 30_000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(490);
  });

  test('a flipped byte is corrupt, a deleted file lost: each recorded once, alerted, taken out of use; good again, resolved', async () => {
    const [flipped, deleted, fine] = await catalogue(3, 40);
    const bytes = readFileSync(path.join(root(), flipped!));
    writeFileSync(path.join(root(), flipped!), Buffer.from(bytes.map((b, i) => (i === 10 ? b ^ 1 : b))));
    renameSync(path.join(root(), deleted!), path.join(data, 'away.dat'));
    const r = await t.domain.audit.chunk('main', ago(30), 1e9);
    expect(r).toMatchObject({ checked: 3, good: 1, lost: 1, corrupt: 1, more: false });
    const findings = await t.domain.findings.list({ store: 'main' });
    expect(findings.map((f) => [f.kind, f.fileName, f.count]).sort()).toEqual([
      ['CORRUPT', flipped, 1],
      ['LOST', deleted, 1],
    ]);
    expect(findings.find((f) => f.kind === 'LOST')!.detail).toBe(`the data is missing from ${path.join(root(), deleted!)}`);
    expect(slack.alerts).toEqual(expect.arrayContaining([expect.stringContaining(`"${flipped}" on store "main" is corrupt`), expect.stringContaining(`"${deleted}" on store "main" is lost`)]));
    const avail = async (n: string) => (await t.domain.db.instance.findFirstOrThrow({ where: { fileName: n } })).available;
    expect([await avail(flipped!), await avail(deleted!), await avail(fine!)]).toEqual([false, false, true]);
    // Out of use: not audited again, and not offered to a peer.
    expect(await t.domain.audit.plan('main', ago(30))).toMatchObject({ instances: 0 });
    // Seen again by a validation: counted, not recorded twice, not alerted twice.
    const alerts = slack.alerts.length;
    const inst = await t.domain.db.instance.findFirstOrThrow({ where: { fileName: flipped } });
    expect((await t.domain.integrity.check(inst.id)).state).toBe('corrupt');
    expect((await t.domain.db.finding.findFirstOrThrow({ where: { instanceId: inst.id } })).count).toBe(2);
    expect(slack.alerts.length).toBe(alerts);
    // Restored: good again, resolved, back in use.
    writeFileSync(path.join(root(), flipped!), bytes);
    expect((await t.domain.integrity.check(inst.id)).state).toBe('good');
    expect(await t.domain.db.finding.findFirstOrThrow({ where: { instanceId: inst.id } })).toMatchObject({ resolvedAt: expect.any(Date), resolution: 'verified good' });
    expect(await avail(flipped!)).toBe(true);
  });

  test('dark data: what no instance describes is reported once at its top-most path, never deleted; resolved once gone', async () => {
    await catalogue(1, 0);
    const book = makeBook(path.join(data, 'stray_book'), 3, 1000);
    cpSync(book, path.join(root(), 'stray/book'), { recursive: true });
    writeFileSync(path.join(root(), 'a', 'loose.bin'), 'not catalogued');
    writeFileSync(path.join(root(), '.librarian-incoming-x'), 'a copy being verified');
    const scan = await t.domain.audit.scanDark('main');
    expect(scan).toEqual({ mounted: true, dark: expect.arrayContaining(['stray', 'a/loose.bin']) });
    expect(scan.dark).toHaveLength(2);
    const again = await t.domain.audit.scanDark('main');
    expect(again.dark.sort()).toEqual(scan.dark.sort());
    const dark = await t.domain.findings.list({ kind: 'DARK' });
    expect(dark.map((f) => [f.path, f.count]).sort()).toEqual([
      ['a/loose.bin', 2],
      ['stray', 2],
    ]);
    expect(dark.find((f) => f.path === 'stray')!.detail).toMatch(/^3003 bytes under .*stray that no file of the catalog describes$/);
    expect(readFileSync(path.join(root(), 'a', 'loose.bin'), 'utf8')).toBe('not catalogued');
    rmSync(path.join(root(), 'stray'), { recursive: true });
    await t.domain.audit.scanDark('main');
    expect((await t.domain.findings.list({ kind: 'DARK' })).map((f) => f.path)).toEqual(['a/loose.bin']);
  });

  test('an unmounted store is not audited: nothing is recorded as lost', async () => {
    await catalogue(1, 40);
    const before = await t.domain.db.finding.count();
    renameSync(root(), `${root()}.unplugged`);
    try {
      expect(await t.domain.audit.plan('main', ago(30))).toMatchObject({ mounted: false });
      expect(await t.domain.audit.chunk('main', ago(30), 1e9)).toMatchObject({ checked: 0, mounted: false });
      expect(await t.domain.audit.scanDark('main')).toEqual({ mounted: false, dark: [] });
    } finally {
      renameSync(`${root()}.unplugged`, root());
    }
    expect(await t.domain.db.finding.count()).toBe(before);
  });
});
