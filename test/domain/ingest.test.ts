/**
 * Staging, verifying and cataloguing what arrives (domain/uploads, domain/ingest), on each
 * catalog, with real files: the verdicts, the one transaction that catalogues, and the repeats a
 * crash causes.
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeUploadState } from '../../src/domain/uploads/uploadState';
import { parseChecksum } from '../../src/shared/checksums';
import { workflowIds } from '../../src/shared/workflowIds';
import { checksumOf, closeChecksums, listTree, makeBook, makeFile, tmpDir, treeDigest } from '../support/data';
import { librarianError } from '../support/http';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';

afterAll(closeChecksums);


describe.each(PROVIDERS)('ingest on %s', (provider) => {
  let t: TestDomain;
  const data = tmpDir('ingest-src-');
  beforeAll(async () => {
    t = await testDomain(provider);
  });
  afterAll(() => t.close());

  async function stage(local: string, destination: string, createdBy = 'alice') {
    const { checksum, size } = await checksumOf(local);
    return t.domain.uploads.stage({
      uploadSize: size,
      uploadChecksum: checksum,
      uploadName: path.posix.basename(destination),
      destination,
      uploader: 'pipeline-7',
      createdBy,
      workflowId: workflowIds(t.config.name).upload(destination),
      attemptId: randomUUID(),
    });
  }

  test('a book staged, verified (STAGED) and committed: File, Instance and COMPLETED together; committing again answers the same', async () => {
    const book = makeBook(path.join(data, 'book_a'), 5, 20_000);
    const s = await stage(book, 'obs/book_a');
    cpSync(book, s.stagingLocation, { recursive: true });
    expect(await t.domain.uploads.verify(s.transferId)).toMatchObject({ ok: true, size: 5 * 20_000 + 10 });
    expect((await t.domain.transfers.incoming.get(s.transferId)).status).toBe('STAGED');
    const done = await t.domain.ingest.commit(s.transferId, 'ALLOWED');
    expect(done).toEqual({ fileName: 'obs/book_a', instanceId: expect.any(Number), storeId: s.storeId, storeName: 'main', path: path.join(t.dir, 'stores/main/store/obs/book_a') });
    expect(await t.domain.ingest.commit(s.transferId, 'ALLOWED')).toEqual(done);
    const file = await t.domain.db.file.findUniqueOrThrow({ where: { name: 'obs/book_a' }, include: { instances: true } });
    expect(file).toMatchObject({ uploader: 'pipeline-7', source: 'alice', size: BigInt(5 * 20_000 + 10), checksum: (await checksumOf(book)).checksum });
    expect(file.instances).toEqual([expect.objectContaining({ id: done.instanceId, path: 'obs/book_a', deletionPolicy: 'ALLOWED', available: true })]);
    expect(await t.domain.transfers.incoming.get(s.transferId)).toMatchObject({ status: 'COMPLETED' });
    expect(treeDigest(done.path)).toEqual(treeDigest(book));
    expect(listTree(path.join(t.dir, 'stores/main/staging'))).toEqual([]);
  });

  test('verify and commit as one step (what the upload workflow runs): a mismatch is a verdict; a good copy is catalogued once; repeating it answers the same', async () => {
    const local = makeFile(path.join(data, 'one-step.bin'), 25_000);
    const s = await stage(local, 'obs/one-step.bin');
    const steps: string[] = [];
    const onStep = (step: string) => steps.push(step);
    const flipped = readFileSync(local);
    flipped[7] = flipped[7]! ^ 1;
    writeFileSync(s.stagingLocation, flipped);
    expect(await t.domain.uploads.verifyAndCommit(s.transferId, 'DISALLOWED', { onStep })).toMatchObject({ ok: false, status: 406, reason: expect.stringMatching(/^Checksum mismatch/) });
    expect(steps).toEqual(['verify']);
    expect((await t.domain.transfers.incoming.get(s.transferId)).status).toBe('INITIATED');
    expect(await t.domain.db.file.count({ where: { name: 'obs/one-step.bin' } })).toBe(0);
    cpSync(local, s.stagingLocation);
    const done = await t.domain.uploads.verifyAndCommit(s.transferId, 'DISALLOWED', { onStep });
    const result = { fileName: 'obs/one-step.bin', instanceId: expect.any(Number), storeId: s.storeId, storeName: 'main', path: path.join(t.dir, 'stores/main/store/obs/one-step.bin') };
    expect(done).toEqual({ ok: true, result });
    expect(steps).toEqual(['verify', 'verify', 'commit']);
    expect(await t.domain.transfers.incoming.get(s.transferId)).toMatchObject({ status: 'COMPLETED', endTime: expect.any(Date) });
    expect(readFileSync(result.path)).toEqual(readFileSync(local));
    expect(listTree(path.join(t.dir, 'stores/main/staging'))).toEqual([]);
    // A retry after the step had finished (its completion lost): the same answer, without verifying.
    expect(await t.domain.uploads.verifyAndCommit(s.transferId, 'DISALLOWED', { onStep })).toEqual(done);
    expect(steps).toEqual(['verify', 'verify', 'commit', 'commit']);
    expect(await t.domain.db.instance.count({ where: { fileName: 'obs/one-step.bin' } })).toBe(1);
    // A failed transfer: its reason, nothing touched.
    await t.domain.transfers.incoming.failed(s.transferId, 'late', 409);
    const s2 = await stage(local, 'obs/one-step-2.bin');
    await t.domain.transfers.incoming.failed(s2.transferId, 'Superseded by a new stage of the same destination.');
    expect(await t.domain.uploads.verifyAndCommit(s2.transferId, 'DISALLOWED')).toMatchObject({ ok: false, status: 409, reason: `Transfer ${s2.transferId} is FAILED: Superseded by a new stage of the same destination.` });
  });

  test('size and checksum mismatches and missing data are verdicts, not errors; nothing becomes STAGED', async () => {
    const local = makeFile(path.join(data, 'm.bin'), 10_000);
    const s = await stage(local, 'obs/m.bin');
    expect(await t.domain.uploads.verify(s.transferId)).toEqual({
      ok: false,
      status: 404,
      reason: `Nothing was found in the staging area at ${s.stagingLocation}.`,
      suggestedRemedy: expect.any(String),
    });
    writeFileSync(s.stagingLocation, readFileSync(local).subarray(1));
    expect(await t.domain.uploads.verify(s.transferId)).toMatchObject({ ok: false, status: 406, reason: 'Size mismatch: the upload declared 10000 bytes, the staging area holds 9999.', size: 9999 });
    const flipped = readFileSync(local);
    flipped[5] = flipped[5]! ^ 1;
    writeFileSync(s.stagingLocation, flipped);
    const bad = await t.domain.uploads.verify(s.transferId);
    expect(bad).toMatchObject({ ok: false, status: 406, reason: expect.stringMatching(/^Checksum mismatch: the upload declared xxh3:::[0-9a-f]{32}, the staged data hashes to xxh3:::[0-9a-f]{32}\.$/) });
    expect((await t.domain.transfers.incoming.get(s.transferId)).status).toBe('INITIATED');
    const refused = await librarianError(t.domain.ingest.commit(s.transferId, 'DISALLOWED'));
    expect([refused.status, refused.reason]).toEqual([409, `Transfer ${s.transferId} is INITIATED and cannot be committed.`]);
  });

  test("a digest journaled with the transfer's key is reused while the file is unchanged; unsigned, another transfer's key, or a file changed since (its ctime) is hashed", async () => {
    const local = makeFile(path.join(data, 'journaled.bin'), 10_000);
    const { checksum } = await checksumOf(local);
    const s = await stage(local, 'obs/journaled.bin');
    const other = readFileSync(local);
    other[7] = other[7]! ^ 1;
    writeFileSync(s.stagingLocation, other);
    const { journalKey } = await t.domain.transfers.incoming.get(s.transferId);
    expect(journalKey).toMatch(/^[\w-]{43}$/);
    // A journal that names the declared digest for other bytes: only its signature decides whether it counts.
    const journal = async (key: string | null) => {
      const st = statSync(s.stagingLocation);
      await writeUploadState(path.dirname(s.stagingLocation), { kind: 'file', algorithm: 'xxh3', files: { '': { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, digest: parseChecksum(checksum).hex } } }, key);
    };
    const hashed = { ok: false, status: 406, reason: expect.stringMatching(/^Checksum mismatch: .* the staged data hashes to /) };
    await journal(null);
    expect(await t.domain.uploads.verify(s.transferId)).toMatchObject(hashed);
    await journal('another-transfers-key');
    expect(await t.domain.uploads.verify(s.transferId)).toMatchObject(hashed);
    await journal(journalKey);
    // A change of mode alone changes the ctime (the data could have changed with its mtime set back).
    chmodSync(s.stagingLocation, 0o600);
    expect(await t.domain.uploads.verify(s.transferId)).toMatchObject(hashed);
    await journal(journalKey);
    expect(await t.domain.uploads.verify(s.transferId)).toMatchObject({ ok: true, checksum });
  });

  test('a commit cut short after the data moved is finished by the retry, which checks the data first', async () => {
    const local = makeFile(path.join(data, 'crash.bin'), 30_000);
    const s = await stage(local, 'obs/crash.bin');
    cpSync(local, s.stagingLocation);
    await t.domain.uploads.verify(s.transferId);
    // The first attempt moved the data into the store and died before cataloguing it.
    const final = path.join(t.dir, 'stores/main/store/obs/crash.bin');
    renameSync(s.stagingLocation, final);
    expect((await t.domain.ingest.commit(s.transferId, 'DISALLOWED')).path).toBe(final);
    expect(await t.domain.db.file.count({ where: { name: 'obs/crash.bin' } })).toBe(1);
    // The same, but the data was damaged meanwhile: it is removed, nothing is catalogued.
    const other = makeFile(path.join(data, 'crash2.bin'), 30_000);
    const s2 = await stage(other, 'obs/crash2.bin');
    cpSync(other, s2.stagingLocation);
    await t.domain.uploads.verify(s2.transferId);
    const final2 = path.join(t.dir, 'stores/main/store/obs/crash2.bin');
    renameSync(s2.stagingLocation, final2);
    writeFileSync(final2, 'damaged');
    const damaged = await librarianError(t.domain.ingest.commit(s2.transferId, 'DISALLOWED'));
    expect([damaged.status, damaged.reason]).toEqual([406, expect.stringMatching(/^The data at .* no longer matches xxh3:::/)]);
    expect(existsSync(final2)).toBe(false);
    expect(await t.domain.db.file.count({ where: { name: 'obs/crash2.bin' } })).toBe(0);
  });

  test('data no instance describes at the destination when committing: refused (409) and left alone, never catalogued as ours', async () => {
    const local = makeFile(path.join(data, 'taken.bin'), 3000);
    const s = await stage(local, 'obs/taken.bin');
    cpSync(local, s.stagingLocation);
    await t.domain.uploads.verify(s.transferId);
    const final = path.join(t.dir, 'stores/main/store/obs/taken.bin');
    mkdirSync(path.dirname(final), { recursive: true });
    writeFileSync(final, 'someone else');
    const e = await librarianError(t.domain.ingest.commit(s.transferId, 'DISALLOWED'));
    expect([e.status, e.reason, e.retryable]).toEqual([409, `Store "main" already holds other data at ${final}.`, false]);
    expect(readFileSync(final, 'utf8')).toBe('someone else');
    expect(await t.domain.db.file.count({ where: { name: 'obs/taken.bin' } })).toBe(0);
  });

  test('staging a name again: the same request before data arrived is that stage again; after, the same upload supersedes its stale attempt; someone else must wait; a catalogued name is refused', async () => {
    const local = makeFile(path.join(data, 'again.bin'), 5000);
    const first = await stage(local, 'obs/again.bin');
    // A client that never got the answer asks again: it reaches the same transfer.
    expect(await stage(local, 'obs/again.bin')).toMatchObject({ transferId: first.transferId, stagingLocation: first.stagingLocation, supersededTransferIds: [] });
    writeFileSync(first.stagingLocation, 'the start of a copy');
    const second = await stage(local, 'obs/again.bin');
    expect(second.supersededTransferIds).toEqual([first.transferId]);
    expect(await t.domain.transfers.incoming.get(first.transferId)).toMatchObject({ status: 'FAILED', failureStatus: 409, failureReason: 'Superseded by a new stage of the same destination.' });
    expect(existsSync(first.stagingDir)).toBe(false);
    const other = makeFile(path.join(data, 'other.bin'), 5000);
    const { checksum } = await checksumOf(other);
    const clash = await librarianError(
      t.domain.uploads.stage({ uploadSize: 5000, uploadChecksum: checksum, uploadName: 'again.bin', destination: 'obs/again.bin', uploader: 'bob', createdBy: 'bob', workflowId: workflowIds(t.config.name).upload('obs/again.bin'), attemptId: randomUUID() }),
    );
    expect([clash.status, clash.reason]).toEqual([409, `"obs/again.bin" is already being received (transfer ${second.transferId}, from alice, with a different checksum).`]);
    const exists = await librarianError(stage(local, 'obs/book_a'));
    expect([exists.status, exists.reason]).toEqual([409, 'File "obs/book_a" already exists on this Librarian.']);
  });
});
