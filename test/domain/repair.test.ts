/**
 * Repairs in the domain (domain/audit/repair, domain/clone/resend, the receiving side's repair
 * arrivals), on each catalog, with real files: a damaged copy is replaced from another store only
 * after the copy verified; a damaged source is found, not copied; the upstream's checks on
 * corrupt/* refuse what they must with clear reasons; a good copy sent by a peer is staged on the
 * damaged copy's store and put in its place once verified.
 */
import { randomUUID } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isLibrarianError, type LibrarianError } from '../../src/shared/errors';
import { checksumOf, closeChecksums, makeFile, tmpDir } from '../support/data';
import { ADMIN, testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';
import { freePort } from '../support/ports';
import { fakeSlack, type FakeSlack } from '../support/slack';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await fakeSlack();
});
afterAll(async () => {
  await slack.close();
  await closeChecksums();
});

function flipByte(file: string, at = 10): void {
  const bytes = readFileSync(file);
  bytes[at] = bytes[at]! ^ 1;
  writeFileSync(file, bytes);
}

async function refusal(p: Promise<unknown>): Promise<LibrarianError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!isLibrarianError(e)) throw new Error(`expected a LibrarianError, got ${String(e)}`);
  return e;
}

describe.each(PROVIDERS)('repairs on %s', (provider) => {
  let t: TestDomain;
  const data = tmpDir('repair-src-');
  const root = (store: string) => path.join(t.dir, `stores/${store}/store`);
  beforeAll(async () => {
    t = await testDomain(provider, {
      config: { notifications: { slackWebhookUrl: slack.url } },
      stores: [
        { name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' },
        { name: 'backup', stagingPath: 'stores/backup/staging', storePath: 'stores/backup/store', ingestable: false },
      ],
    });
    await t.domain.peers.add({ name: 'upstream', url: '127.0.0.1', port: await freePort(), authenticator: 'us:pw', checkConnection: false });
    await t.domain.peers.add({ name: 'downstream', url: '127.0.0.1', port: await freePort(), authenticator: 'us:pw', checkConnection: false });
  });
  afterAll(() => t.close());

  /** A file with a verified copy on each store named, made by `source`. */
  async function catalogue(stores: string[], opts: { source?: string; remoteAt?: string[] } = {}) {
    const { db } = t.domain;
    const name = `r/${randomUUID()}.dat`;
    const local = makeFile(path.join(data, `${randomUUID()}.dat`), 20_000);
    const { checksum } = await checksumOf(local);
    const ids: Record<string, number> = {};
    await db.file.create({ data: { name, createTime: new Date(), size: 20_000n, checksum, uploader: 'u', source: opts.source ?? 'u' } });
    for (const s of stores) {
      const store = await db.store.findUniqueOrThrow({ where: { name: s } });
      mkdirSync(path.dirname(path.join(root(s), name)), { recursive: true });
      cpSync(local, path.join(root(s), name));
      const i = await db.instance.create({ data: { path: name, fileName: name, storeId: store.id, checksumTime: new Date(), calculatedChecksum: checksum, calculatedSize: 20_000n } });
      ids[s] = i.id;
    }
    for (const peer of opts.remoteAt ?? []) {
      const p = await db.librarian.findUniqueOrThrow({ where: { name: peer } });
      await db.remoteInstance.create({ data: { fileName: name, librarianId: p.id, storeId: 1, sender: t.config.name } });
    }
    return { name, local, checksum, ids };
  }

  test('a corrupt copy is replaced from another store: the copy is verified first, the findings are resolved and say how', async () => {
    const f = await catalogue(['main', 'backup']);
    flipByte(path.join(root('main'), f.name));
    // Found by an audit (same size: only hashing shows it).
    expect((await t.domain.integrity.check(f.ids.main!, { force: true })).state).toBe('corrupt');
    const plan = await t.domain.repairs.plan(f.ids.main!);
    expect(plan).toEqual({ state: 'damaged', fileName: f.name, kind: 'corrupt', detail: expect.stringMatching(/^hashes to xxh3:::/), localSources: [f.ids.backup], peers: [] });
    const inst = await t.domain.db.instance.findUniqueOrThrow({ where: { id: f.ids.main! } });
    expect(inst.available).toBe(false);

    expect(await t.domain.repairs.fromLocal(f.ids.main!, f.ids.backup!)).toEqual({ ok: true });
    expect(readFileSync(path.join(root('main'), f.name))).toEqual(readFileSync(f.local));
    // Nothing of ours is left next to it (the copy in progress, the damaged data moved aside).
    expect(readdirSync(path.dirname(path.join(root('main'), f.name))).filter((n) => n.startsWith('.librarian-'))).toEqual([]);
    const after = await t.domain.db.instance.findUniqueOrThrow({ where: { id: f.ids.main! } });
    expect(after).toMatchObject({ available: true, calculatedChecksum: f.checksum, calculatedSize: 20_000n });
    const findings = await t.domain.findings.list({ includeResolved: true, store: 'main' });
    const mine = findings.filter((x) => x.fileName === f.name);
    expect(mine.map((x) => [x.kind, x.resolution, x.repair])).toEqual([['CORRUPT', 'replaced by a verified copy from store "backup"', 'repaired from the copy on store "backup"']]);
    expect(await t.domain.repairs.plan(f.ids.main!)).toEqual({ state: 'good', fileName: f.name });
  });

  test('a lost copy is put back from another store', async () => {
    const f = await catalogue(['main', 'backup']);
    rmSync(path.join(root('main'), f.name));
    expect(await t.domain.repairs.plan(f.ids.main!)).toMatchObject({ state: 'damaged', kind: 'lost', detail: `the data is missing from ${path.join(root('main'), f.name)}` });
    expect(await t.domain.repairs.fromLocal(f.ids.main!, f.ids.backup!)).toEqual({ ok: true });
    expect(readFileSync(path.join(root('main'), f.name))).toEqual(readFileSync(f.local));
  });

  test('a source that is corrupt too is not copied over the damaged copy: it is recorded, and the damaged data stays as it was', async () => {
    const f = await catalogue(['main', 'backup']);
    flipByte(path.join(root('main'), f.name), 5);
    flipByte(path.join(root('backup'), f.name), 7);
    const damaged = readFileSync(path.join(root('main'), f.name));
    await t.domain.integrity.check(f.ids.main!, { force: true });
    expect(await t.domain.repairs.plan(f.ids.main!)).toMatchObject({ state: 'damaged', localSources: [f.ids.backup] });
    const r = await t.domain.repairs.fromLocal(f.ids.main!, f.ids.backup!);
    expect(r).toEqual({ ok: false, reason: expect.stringMatching(/^the copy from store "backup" hashes to xxh3:::[0-9a-f]+ \(that copy is corrupt too\)$/) });
    expect(readFileSync(path.join(root('main'), f.name))).toEqual(damaged);
    expect((await t.domain.findings.openFor(f.ids.backup!)).map((x) => x.kind)).toEqual(['CORRUPT']);
    // Now neither store has a good copy: the peers are next.
    expect(await t.domain.repairs.plan(f.ids.main!)).toMatchObject({ state: 'damaged', localSources: [] });
  });

  test('peers to ask: the file\'s source first, then the others that hold a copy', async () => {
    const f = await catalogue(['main'], { source: 'upstream', remoteAt: ['downstream', 'upstream'] });
    rmSync(path.join(root('main'), f.name));
    expect(await t.domain.repairs.plan(f.ids.main!)).toMatchObject({ state: 'damaged', localSources: [], peers: ['upstream', 'downstream'] });
    expect(await t.domain.repairs.awaitingRepair()).toContain(f.ids.main);
  });

  test('an unrecoverable copy is said once, loudly, and written on its finding', async () => {
    const f = await catalogue(['main']);
    rmSync(path.join(root('main'), f.name));
    await t.domain.repairs.plan(f.ids.main!);
    await t.domain.repairs.unrecoverable(f.ids.main!, 'no other copy is known');
    const [finding] = await t.domain.findings.openFor(f.ids.main!);
    expect(finding!.repair).toBe('unrecoverable: no other copy is known');
    expect(slack.alerts).toContain(
      `:rotating_light: [${t.config.name}] "${f.name}" on store "main" cannot be repaired: no other copy is known. Its data is damaged and no good copy was found; restore it by hand (e.g. "librarian import") and run "librarian repair run ${f.name}".`,
    );
    expect(await t.domain.repairs.awaitingRepair()).not.toContain(f.ids.main);
  });

  const as = (username: string) => ({ username, level: 'CALLBACK' as const });

  describe('corrupt/prepare and corrupt/resend (we are the upstream)', () => {
    test('only the peer itself may ask, through its own account; an admin is no exception', async () => {
      const f = await catalogue(['main']);
      const e = await refusal(t.domain.corruptResend.prepare(as('upstream'), 'downstream', f.name));
      expect([e.status, e.reason]).toEqual([401, 'Account "upstream" cannot ask for repairs on behalf of "downstream".']);
      expect((await refusal(t.domain.corruptResend.prepare(ADMIN, 'downstream', f.name))).status).toBe(401);
      const stranger = await refusal(t.domain.corruptResend.prepare(as('nobody'), 'nobody', f.name));
      expect([stranger.status, stranger.reason]).toEqual([401, '"nobody" is not a peer of this Librarian.']);
    });

    test('a file we lack, or whose copy is damaged here too, is a 409 that says we have no copy (and our own damage is recorded)', async () => {
      const missing = await refusal(t.domain.corruptResend.prepare(as('downstream'), 'downstream', 'no/such/file'));
      expect([missing.status, missing.reason, missing.details]).toEqual([409, 'We do not have a copy of the file you are requesting ("no/such/file").', { no_copy: true }]);
      const f = await catalogue(['main']);
      flipByte(path.join(root('main'), f.name));
      const corrupt = await refusal(t.domain.corruptResend.prepare(as('downstream'), 'downstream', f.name));
      expect([corrupt.status, corrupt.reason, corrupt.details]).toEqual([409, `Our copy of the file is also corrupt ("${f.name}").`, { no_copy: true }]);
      expect((await t.domain.findings.openFor(f.ids.main!)).map((x) => x.kind)).toEqual(['CORRUPT']);
    });

    test('a peer we cannot log in to is told we cannot send to it', async () => {
      const f = await catalogue(['main']);
      const e = await refusal(t.domain.corruptResend.resend(as('downstream'), 'downstream', f.name));
      expect(e.status).toBe(409);
      expect(e.reason).toMatch(/^We are not able to send you files: we cannot log in to "downstream" \(.*ECONNREFUSED.*\)\.$/);
      expect(await t.domain.db.outgoingTransfer.count({ where: { fileName: f.name } })).toBe(0);
    });
  });

  describe('a good copy arriving for a damaged one (we are the downstream)', () => {
    test('it is staged on the damaged copy\'s store, and replaces the damaged data only once verified', async () => {
      const f = await catalogue(['backup'], { source: 'upstream' });
      flipByte(path.join(root('backup'), f.name));
      await t.domain.integrity.check(f.ids.backup!, { force: true });
      const item = { uploadSize: 20_000, uploadChecksum: f.checksum, destination: f.name, uploader: 'u', sourceTransferId: 777 };
      const staged = await t.domain.cloneReceiver.batchStage(as('upstream'), 'upstream', [item]);
      expect(staged.refused).toEqual([]);
      expect(staged.alreadyPresent).toEqual([]);
      expect(staged.storeName).toBe('backup');
      const s = staged.staged[0]!;
      expect(s.stagingLocation.startsWith(path.join(t.dir, 'stores/backup/staging'))).toBe(true);

      // A damaged copy on the way is refused by verification and replaces nothing.
      writeFileSync(s.stagingLocation, readFileSync(path.join(root('backup'), f.name)));
      await t.domain.cloneReceiver.markStaged(s.destinationTransferId);
      expect(await t.domain.ingest.verify(s.destinationTransferId)).toMatchObject({ ok: false, status: 406 });

      cpSync(f.local, s.stagingLocation);
      expect(await t.domain.ingest.verify(s.destinationTransferId)).toMatchObject({ ok: true });
      const done = await t.domain.cloneReceiver.commit(s.destinationTransferId, 'DISALLOWED');
      expect(done).toEqual({ storeId: (await t.domain.stores.row('backup')).id });
      expect(readFileSync(path.join(root('backup'), f.name))).toEqual(readFileSync(f.local));
      expect(existsSync(path.join(path.dirname(path.join(root('backup'), f.name)), `.librarian-damaged-${path.basename(f.name)}`))).toBe(false);
      expect(await t.domain.db.instance.findUniqueOrThrow({ where: { id: f.ids.backup! } })).toMatchObject({ available: true, calculatedChecksum: f.checksum });
      const [finding] = (await t.domain.findings.list({ includeResolved: true, store: 'backup' })).filter((x) => x.fileName === f.name);
      expect([finding!.resolution, finding!.repair]).toEqual(['replaced by a verified copy from upstream', `repaired from upstream (incoming transfer ${s.destinationTransferId})`]);
      expect(await t.domain.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.destinationTransferId } })).toMatchObject({ status: 'COMPLETED' });
    });

    test('a file we hold in good order, or one no longer damaged, is still refused as already here', async () => {
      const f = await catalogue(['main']);
      const other = { uploadSize: 20_000, uploadChecksum: `xxh3:::${'0'.repeat(32)}`, destination: f.name, uploader: 'u', sourceTransferId: 778 };
      const r = await t.domain.cloneReceiver.batchStage(as('upstream'), 'upstream', [other]);
      expect(r.refused).toEqual([{ sourceTransferId: 778, status: 409, reason: `"${f.name}" already exists here with checksum ${f.checksum}.` }]);
      const same = await t.domain.cloneReceiver.batchStage(as('upstream'), 'upstream', [{ ...other, uploadChecksum: f.checksum, sourceTransferId: 779 }]);
      expect(same.alreadyPresent).toEqual([{ sourceTransferId: 779, storeId: expect.any(Number), checksum: f.checksum }]);
    });
  });
});
