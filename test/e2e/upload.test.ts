/**
 * Verified ingest end to end on each catalog backend: real API and worker processes, HTTP, and
 * checks on catalog rows, bytes on disk and staging.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { LibrarianClient } from '../../src/protocol/client';
import { uploadPath } from '../../src/client/upload';
import { parseChecksum } from '../../src/shared/checksums';
import { checksumOf, closeChecksums, listTree, makeBook, makeFile, tarBody, tmpDir, treeDigest } from '../support/data';
import { apiError } from '../support/http';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';
import { testTemporalClient } from '../support/temporalServer';

interface Staged {
  transfer_id: number;
  staging_location: string;
  staging_name: string;
  store_name: string;
  superseded_transfer_ids: number[];
}

async function stage(client: LibrarianClient, local: string, dest: string, extra: Record<string, unknown> = {}): Promise<Staged> {
  const { checksum, size } = await checksumOf(local);
  return client.post<Staged>('upload/stage', { upload_size: size, upload_checksum: checksum, upload_name: path.basename(dest), destination_location: dest, uploader: 'pipeline-7', ...extra });
}

describe.each(PROVIDERS)('upload on %s', (provider) => {
  let lib: LibrarianHandle;
  let data: string;
  let storeRoot: string;
  let stagingRoot: string;

  beforeAll(async () => {
    lib = await startLibrarian({
      provider,
      config: { api: { maxUploadSizeBytes: 200_000_000 }, workflows: { heartbeatTimeout: '5s' } },
      stores: [
        { name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' },
        { name: 'backup', ingestable: false, stagingPath: 'stores/backup/staging', storePath: 'stores/backup/store' },
        // Takes uploads only while its test enables it (and disables main).
        { name: 'ro', enabled: false, stagingPath: 'stores/ro/staging', storePath: 'stores/ro/store', readonlyAfterCommit: true },
        { name: 'trusting', enabled: false, stagingPath: 'stores/trusting/staging', storePath: 'stores/trusting/store', trustClientCopies: true },
      ],
    });
    data = tmpDir('upload-src-');
    storeRoot = path.join(lib.dir, 'stores/main/store');
    stagingRoot = path.join(lib.dir, 'stores/main/staging');
    await lib.client().post('users/create', { username: 'alice', password: 'alice-password', permission: 3 });
    await lib.client().post('users/create', { username: 'bob', password: 'bob-password', permission: 3 });
    await lib.client().post('users/create', { username: 'reader', password: 'reader-password', permission: 1 });
  });
  afterAll(async () => {
    await stopAllLibrarians();
    await closeChecksums();
  });

  const alice = () => lib.client('alice', 'alice-password');

  async function expectCatalogued(dest: string, local: string, opts: { uploader?: string; source?: string; policy?: string } = {}) {
    const svc = await lib.domain();
    const file = await svc.db.file.findUniqueOrThrow({ where: { name: dest }, include: { instances: { include: { store: true } } } });
    const { checksum, size } = await checksumOf(local, parseChecksum(file.checksum).algorithm);
    expect({ ...file, instances: undefined, createTime: undefined, catalogTime: undefined }).toEqual({
      name: dest,
      size: BigInt(size),
      checksum,
      uploader: opts.uploader ?? 'pipeline-7',
      source: opts.source ?? 'alice',
      instances: undefined,
      createTime: undefined,
      catalogTime: undefined,
    });
    expect(file.instances).toHaveLength(1);
    const inst = file.instances[0]!;
    expect(inst).toMatchObject({ path: dest, available: true, deletionPolicy: opts.policy ?? 'DISALLOWED', calculatedChecksum: checksum, calculatedSize: BigInt(size) });
    expect(inst.store.name).toBe('main');
    expect(inst.checksumTime).toBeInstanceOf(Date);
    expect(treeDigest(path.join(storeRoot, dest))).toEqual(treeDigest(local));
    const transfers = await svc.db.incomingTransfer.findMany({ where: { storePath: dest, status: 'COMPLETED' } });
    expect(transfers).toHaveLength(1);
    expect(listTree(stagingRoot)).toEqual([]);
  }

  test('a file copied into staging is verified and catalogued', async () => {
    const local = makeFile(path.join(data, 'copy.bin'), 3_000_000);
    const s = await stage(alice(), local, 'obs/2026/copy.bin');
    expect(s.store_name).toBe('main');
    expect(s.staging_location).toBe(path.join(stagingRoot, s.staging_name, 'copy.bin'));
    cpSync(local, s.staging_location);
    const r = await alice().post('upload/commit', { transfer_id: s.transfer_id, deletion_policy: 'allowed' });
    expect(r).toEqual({ success: true, transfer_id: s.transfer_id, file_name: 'obs/2026/copy.bin', instance_id: expect.any(Number), store_name: 'main', path: path.join(storeRoot, 'obs/2026/copy.bin') });
    await expectCatalogued('obs/2026/copy.bin', local, { policy: 'ALLOWED' });
    // Committing again is harmless and gives the same answer.
    expect(await alice().post('upload/commit', { transfer_id: s.transfer_id })).toEqual(r);
  });

  test('the checksum declared at commit instead of at stage: no commit without it (the upload stays open), verified against the data as before', async () => {
    const local = makeFile(path.join(data, 'later.bin'), 2_000_000);
    const { checksum } = await checksumOf(local);
    const svc = await lib.domain();
    const row = (id: number) => svc.db.incomingTransfer.findUniqueOrThrow({ where: { id } });
    const s = await stage(alice(), local, 'obs/later.bin', { upload_checksum: undefined });
    expect(await row(s.transfer_id)).toMatchObject({ status: 'INITIATED', transferChecksum: null, transferSize: 2_000_000n });
    const bobs = await apiError(stage(lib.client('bob', 'bob-password'), local, 'obs/later.bin'));
    expect([bobs.status, bobs.reason]).toEqual([409, `"obs/later.bin" is already being received (transfer ${s.transfer_id}, from alice, its checksum to be declared at its commit).`]);
    cpSync(local, s.staging_location);
    // Declared at neither end: refused before the workflow sees it, and nothing is lost.
    const none = await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }));
    expect([none.status, none.reason]).toEqual([400, `Transfer ${s.transfer_id} was staged without a checksum, and this commit does not declare one.`]);
    expect(await row(s.transfer_id)).toMatchObject({ status: 'INITIATED', transferChecksum: null });
    expect(readFileSync(s.staging_location)).toEqual(readFileSync(local));
    const r = await alice().post('upload/commit', { transfer_id: s.transfer_id, upload_checksum: checksum });
    expect(r).toEqual({ success: true, transfer_id: s.transfer_id, file_name: 'obs/later.bin', instance_id: expect.any(Number), store_name: 'main', path: path.join(storeRoot, 'obs/later.bin') });
    await expectCatalogued('obs/later.bin', local);
    expect(await row(s.transfer_id)).toMatchObject({ status: 'COMPLETED', transferChecksum: checksum });
    // Repeating the commit is harmless; declaring another checksum for it is refused.
    expect(await alice().post('upload/commit', { transfer_id: s.transfer_id, upload_checksum: checksum })).toEqual(r);
    const other = (await checksumOf(makeFile(path.join(data, 'later-other.bin'), 1000))).checksum;
    const changed = await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id, upload_checksum: other }));
    expect([changed.status, changed.reason]).toEqual([409, `Transfer ${s.transfer_id} was staged with checksum ${checksum}, but its commit declares ${other}.`]);

    // A checksum declared at stage cannot be replaced at commit: refused, the upload stays open.
    const local2 = makeFile(path.join(data, 'later2.bin'), 1_000_000);
    const declared = (await checksumOf(local2)).checksum;
    const s2 = await stage(alice(), local2, 'obs/later2.bin');
    cpSync(local2, s2.staging_location);
    const clash = await apiError(alice().post('upload/commit', { transfer_id: s2.transfer_id, upload_checksum: other }));
    expect([clash.status, clash.reason]).toEqual([409, `Transfer ${s2.transfer_id} was staged with checksum ${declared}, but its commit declares ${other}.`]);
    expect(await row(s2.transfer_id)).toMatchObject({ status: 'INITIATED', transferChecksum: declared });
    await alice().post('upload/commit', { transfer_id: s2.transfer_id, upload_checksum: declared });
    await expectCatalogued('obs/later2.bin', local2);

    // A checksum declared at commit that the data does not have: 406, as at stage.
    const local3 = makeFile(path.join(data, 'later3.bin'), 1_000_000);
    const actual = (await checksumOf(local3)).checksum;
    const s3 = await stage(alice(), local3, 'obs/later3.bin', { upload_checksum: undefined });
    cpSync(local3, s3.staging_location);
    const wrong = await apiError(alice().post('upload/commit', { transfer_id: s3.transfer_id, upload_checksum: other }));
    expect([wrong.status, wrong.reason]).toEqual([406, `Checksum mismatch: the upload declared ${other}, the staged data hashes to ${actual}.`]);
    expect(await row(s3.transfer_id)).toMatchObject({ status: 'FAILED', failureStatus: 406, transferChecksum: other });
    expect(await svc.db.file.findUnique({ where: { name: 'obs/later3.bin' } })).toBeNull();

    // Over HTTP: the receiver hashes with the default algorithm (the stage named none); a commit
    // declaring md5 has the data hashed again with md5.
    const local4 = makeFile(path.join(data, 'later4.bin'), 3_000_000);
    const md5 = (await checksumOf(local4, 'md5')).checksum;
    const s4 = await stage(alice(), local4, 'obs/later4.bin', { upload_checksum: undefined });
    const sent = await alice().put<{ complete: boolean }>(`upload/${s4.transfer_id}/data`, (async function* () {
      yield readFileSync(local4);
    })(), { 'Upload-Offset': '0', 'Content-Type': 'application/octet-stream' });
    expect(sent).toMatchObject({ complete: true });
    await alice().post('upload/commit', { transfer_id: s4.transfer_id, upload_checksum: md5 });
    await expectCatalogued('obs/later4.bin', local4);
    expect((await svc.db.file.findUniqueOrThrow({ where: { name: 'obs/later4.bin' } })).checksum).toBe(md5);
  });

  test('the CLI-side client stages without the checksum and declares it at commit (by copy, hashing while it copies; over HTTP); with an interrupted upload noted, it hashes first', async () => {
    // What the client asks of the server, noted on the way (the calls themselves are real).
    const noting = () => {
      const client = alice();
      const sent: [string, unknown][] = [];
      const call = client.call.bind(client);
      client.call = ((endpoint: { path: string }, body: Record<string, unknown>, ...rest: unknown[]) => {
        sent.push([endpoint.path, body.upload_checksum]);
        return (call as (...a: unknown[]) => unknown)(endpoint, body, ...rest);
      }) as typeof client.call;
      return { client, sent };
    };
    const resumeFile = path.join(data, 'overlap-in-progress.json');
    const local = makeFile(path.join(data, 'overlap.bin'), 4_000_000);
    const { checksum } = await checksumOf(local);
    const byCopy = noting();
    const r = await uploadPath(byCopy.client, local, 'obs/overlap.bin', { uploader: 'pipeline-7', resumeFile });
    expect(r).toMatchObject({ via: 'copy', file_name: 'obs/overlap.bin', size: 4_000_000, checksum });
    expect(byCopy.sent).toEqual([
      ['upload/stage', undefined],
      ['upload/commit', checksum],
    ]);
    await expectCatalogued('obs/overlap.bin', local);

    const overHttp = noting();
    const h = await uploadPath(overHttp.client, local, 'obs/overlap-http.bin', { via: 'http', uploader: 'pipeline-7', resumeFile });
    expect(h).toMatchObject({ via: 'http', checksum });
    expect(overHttp.sent).toEqual([
      ['upload/stage', undefined],
      ['upload/status', undefined],
      ['upload/commit', checksum],
    ]);
    await expectCatalogued('obs/overlap-http.bin', local);

    // A note older than a week does not count; an upload noted as interrupted since (any): hashed
    // first, so the note is looked up by content.
    writeFileSync(resumeFile, JSON.stringify({ old: { staged: {}, savedAt: new Date(Date.now() - 8 * 86_400_000).toISOString() } }));
    const old = noting();
    await uploadPath(old.client, local, 'obs/overlap-old-note.bin', { via: 'http', uploader: 'pipeline-7', resumeFile });
    expect(old.sent[0]).toEqual(['upload/stage', undefined]);
    await expectCatalogued('obs/overlap-old-note.bin', local);
    writeFileSync(resumeFile, JSON.stringify({ other: { staged: {}, savedAt: new Date().toISOString() } }));
    const noted = noting();
    await uploadPath(noted.client, local, 'obs/overlap-noted.bin', { via: 'http', uploader: 'pipeline-7', resumeFile });
    expect(noted.sent).toEqual([
      ['upload/stage', checksum],
      ['upload/status', undefined],
      ['upload/commit', checksum],
    ]);
    await expectCatalogued('obs/overlap-noted.bin', local);
  });

  test('a file and a book streamed over HTTP, with the CLI-side client', async () => {
    const local = makeFile(path.join(data, 'http.bin'), 5_000_000);
    const r = await uploadPath(alice(), local, 'obs/http.bin', { via: 'http', uploader: 'pipeline-7' });
    expect(r).toMatchObject({ via: 'http', file_name: 'obs/http.bin', size: 5_000_000 });
    await expectCatalogued('obs/http.bin', local);

    const bookDir = makeBook(path.join(data, 'book_1'), 12, 100_000);
    const b = await uploadPath(alice(), bookDir, 'obs/books/book_1', { via: 'http', uploader: 'pipeline-7', algorithm: 'md5' });
    expect(b.checksum).toMatch(/^md5:::/);
    await expectCatalogued('obs/books/book_1', bookDir);

    const copied = await uploadPath(alice(), bookDir, 'obs/books/book_1_copy', { via: 'copy', uploader: 'pipeline-7' });
    expect(copied.via).toBe('copy');
    await expectCatalogued('obs/books/book_1_copy', bookDir);
  });

  test('an interrupted HTTP upload resumes from the last byte the server holds', async () => {
    const local = makeFile(path.join(data, 'resume.bin'), 4_000_000);
    const bytes = readFileSync(local);
    const s = await stage(alice(), local, 'obs/resume.bin');
    const url = new URL(`${lib.url}/api/v2/upload/${s.transfer_id}/data`);
    // Send 1.5 MB, then break the connection mid-request.
    const req = http.request(url, {
      method: 'PUT',
      headers: { Authorization: `Basic ${Buffer.from('alice:alice-password').toString('base64')}`, 'Content-Type': 'application/octet-stream', 'Content-Length': bytes.length, 'Upload-Offset': '0' },
    });
    req.on('error', () => undefined);
    req.write(bytes.subarray(0, 1_500_000));
    const status = await waitFor('the first 1.5 MB to be written', async () => {
      const st = await alice().post<{ received_bytes: number; complete: boolean; status: string }>('upload/status', { transfer_id: s.transfer_id });
      return st.received_bytes === 1_500_000 ? st : undefined;
    });
    req.destroy();
    // The server lets go of the transfer when it sees the connection break.
    const svc = await lib.domain();
    await waitFor('the broken request to release the transfer', async () => (await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).receivingUntil === null);
    // A client that leaves is logged as such, not as a server error with a stack trace.
    await waitFor('the server to log the client leaving', async () => lib.logOf('server').includes('the client closed the connection before its request ended'));
    expect(lib.logOf('server')).not.toMatch(/unhandled error in API request/);
    expect(status).toMatchObject({ complete: false, status: 'ONGOING' });
    const wrong = await apiError(alice().put(`upload/${s.transfer_id}/data`, (async function* () {
      yield bytes.subarray(0, 10);
    })(), { 'Upload-Offset': '0', 'Content-Type': 'application/octet-stream' }));
    // An offset other than what the server holds is refused, with what it holds.
    const mismatch = await apiError(alice().put(`upload/${s.transfer_id}/data`, (async function* () {
      yield bytes.subarray(10, 20);
    })(), { 'Upload-Offset': '10', 'Content-Type': 'application/octet-stream' }));
    expect(wrong.status).toBe(409);
    expect(mismatch.status).toBe(409);
    expect(mismatch.body).toMatchObject({ received_bytes: expect.any(Number) });
    // Resume properly from what the server holds.
    const held = (await alice().post<{ received_bytes: number }>('upload/status', { transfer_id: s.transfer_id })).received_bytes;
    const done = await alice().put<{ complete: boolean; received_bytes: number }>(`upload/${s.transfer_id}/data`, (async function* () {
      yield bytes.subarray(held);
    })(), { 'Upload-Offset': String(held), 'Content-Type': 'application/octet-stream' });
    expect(done).toMatchObject({ complete: true, received_bytes: 4_000_000 });
    await alice().post('upload/commit', { transfer_id: s.transfer_id });
    await expectCatalogued('obs/resume.bin', local);
  });

  test('an HTTP upload interrupted (Ctrl-C) resumes from what the server holds when run again; done, the note is gone', async () => {
    const local = makeFile(path.join(data, 'rerun.bin'), 30_000_000);
    const resumeFile = path.join(data, 'uploads-in-progress.json');
    // The first run stops once 24 MB are on their way, as Ctrl-C would stop it (more than the
    // sockets' buffers can hold, so the server has received some of it).
    const interrupted = await uploadPath(alice(), local, 'obs/rerun.bin', {
      via: 'http',
      uploader: 'pipeline-7',
      resumeFile,
      resumeAttempts: 1,
      progress: (phase, done) => {
        if (phase === 'sending' && done >= 24_000_000) throw new Error('interrupted');
      },
    }).catch((e: Error) => e);
    expect(interrupted).toBeInstanceOf(Error);
    const svc = await lib.domain();
    const first = await svc.db.incomingTransfer.findFirstOrThrow({ where: { storePath: 'obs/rerun.bin' }, orderBy: { id: 'desc' } });
    await waitFor('the broken request to release the transfer', async () => (await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: first.id } })).receivingUntil === null);
    const held = (await alice().post<{ received_bytes: number }>('upload/status', { transfer_id: first.id })).received_bytes;
    expect(held).toBeGreaterThan(0);
    expect(Object.values(JSON.parse(readFileSync(resumeFile, 'utf8')))).toEqual([expect.objectContaining({ staged: expect.objectContaining({ transfer_id: first.id }) })]);

    const again = await uploadPath(alice(), local, 'obs/rerun.bin', { via: 'auto', uploader: 'pipeline-7', resumeFile });
    expect(again).toMatchObject({ transfer_id: first.id, via: 'http', resumed_from: held });
    expect(await svc.db.incomingTransfer.count({ where: { storePath: 'obs/rerun.bin' } })).toBe(1);
    await expectCatalogued('obs/rerun.bin', local);
    expect(JSON.parse(readFileSync(resumeFile, 'utf8'))).toEqual({});
  });

  test('a directory over HTTP resumes by sending the files not yet received; bad tar entries are refused', async () => {
    const bookDir = makeBook(path.join(data, 'book_r'), 4, 50_000);
    const s = await stage(alice(), bookDir, 'obs/books/book_r');
    const names = listTree(bookDir).filter((n) => n.endsWith('.dat'));
    const first = await tarBody(names.slice(0, 2).map((n) => ({ name: n, data: readFileSync(path.join(bookDir, n)) })));
    const put = (body: Buffer) =>
      alice().put<{ received_files: number; complete: boolean }>(`upload/${s.transfer_id}/data`, (async function* () {
        yield body;
      })(), { 'Content-Type': 'application/x-tar' });
    expect(await put(first)).toMatchObject({ received_files: 2, complete: false });
    const status = await alice().post<{ received_files: { path: string; size: number }[] }>('upload/status', { transfer_id: s.transfer_id });
    expect(status.received_files.map((f) => f.path).sort()).toEqual(names.slice(0, 2).sort());

    const escape = await apiError(put(await tarBody([{ name: '../../escape.txt', data: Buffer.from('x') }])));
    expect([escape.status, escape.reason]).toEqual([400, 'The tar entry "../../escape.txt" is not a clean relative path.']);
    const link = await apiError(put(await tarBody([{ name: 'link', symlink: '/etc/passwd' }])));
    expect(link.status).toBe(400);
    expect(link.reason).toMatch(/is a symlink/);
    expect(existsSync(path.join(stagingRoot, s.staging_name, '..', 'escape.txt'))).toBe(false);

    expect(await put(await tarBody(names.slice(2).map((n) => ({ name: n, data: readFileSync(path.join(bookDir, n)) }))))).toMatchObject({ received_files: 4, complete: true });
    await alice().post('upload/commit', { transfer_id: s.transfer_id });
    await expectCatalogued('obs/books/book_r', bookDir);
  });

  test('bad requests are refused with a reason, and leave nothing behind', async () => {
    const local = makeFile(path.join(data, 'bad.bin'), 1000);
    const { checksum, size } = await checksumOf(local);
    const body = { upload_size: size, upload_checksum: checksum, upload_name: 'bad.bin', destination_location: 'obs/bad.bin' };
    const svc = await lib.domain();
    const before = await svc.db.incomingTransfer.count();

    const negative = await apiError(alice().post('upload/stage', { ...body, upload_size: -1 }));
    expect([negative.status, negative.reason]).toEqual([400, 'The request body is not valid: upload_size: Upload size must be positive..']);
    const huge = await apiError(alice().post('upload/stage', { ...body, upload_size: 300_000_000 }));
    expect([huge.status, huge.reason]).toEqual([413, 'Upload size 300000000 bytes is larger than this Librarian accepts (200000000 bytes).']);
    for (const dest of ['../outside.bin', '/etc/passwd', 'obs/../../x', 'obs//x', '.']) {
      const e = await apiError(alice().post('upload/stage', { ...body, destination_location: dest }));
      expect([dest, e.status]).toEqual([dest, 400]);
      expect(e.body).toEqual({ reason: expect.stringContaining('is not a clean relative path'), suggested_remedy: expect.any(String) });
    }
    const badSum = await apiError(alice().post('upload/stage', { ...body, upload_checksum: 'crc:::00' }));
    expect([badSum.status, badSum.reason]).toEqual([400, 'Unknown checksum algorithm "crc"; accepted algorithms: xxh3, md5, sha1, sha256, sha512.']);
    const reader = await apiError(lib.client('reader', 'reader-password').post('upload/stage', body));
    expect(reader.status).toBe(403);

    // A symbolic link inside the store cannot lead the upload out of it.
    const outside = tmpDir('outside-');
    mkdirSync(storeRoot, { recursive: true });
    symlinkSync(outside, path.join(storeRoot, 'linked'));
    const viaLink = await apiError(alice().post('upload/stage', { ...body, destination_location: 'linked/x.bin' }));
    expect([viaLink.status, viaLink.reason]).toEqual([400, `The path ${path.join(storeRoot, 'linked/x.bin')} leaves the store through a symbolic link.`]);

    // The name exists already.
    const exists = await apiError(alice().post('upload/stage', { ...body, destination_location: 'obs/2026/copy.bin' }));
    expect([exists.status, exists.reason]).toEqual([409, 'File "obs/2026/copy.bin" already exists on this Librarian.']);

    // No store with room: nothing staged.
    await lib.client().post('admin/stores/state_change', { store_name: 'main', enabled: false });
    const full = await apiError(alice().post('upload/stage', body));
    await lib.client().post('admin/stores/state_change', { store_name: 'main', enabled: true });
    expect([full.status, full.reason]).toEqual([413, `No store has room for ${size} bytes.`]);

    expect(await svc.db.incomingTransfer.count()).toBe(before);
    expect(listTree(stagingRoot)).toEqual([]);
    expect(listTree(path.join(lib.dir, 'stores/backup/staging'))).toEqual([]);
  });

  test('a destination inside a file, or holding files, is refused at once with 409: nothing is staged', async () => {
    const svc = await lib.domain();
    const before = await svc.db.incomingTransfer.count();
    const local = makeFile(path.join(data, 'inner.bin'), 1000);
    // obs/2026/copy.bin is catalogued (first test).
    const inside = await apiError(stage(alice(), local, 'obs/2026/copy.bin/inner.bin'));
    expect([inside.status, inside.reason]).toEqual([409, '"obs/2026/copy.bin" is a file on this Librarian, so "obs/2026/copy.bin/inner.bin" cannot be stored inside it.']);
    const holding = await apiError(stage(alice(), local, 'obs/2026'));
    expect([holding.status, holding.reason]).toEqual([409, '"obs/2026" holds files on this Librarian (such as "obs/2026/copy.bin"), so it cannot be a file itself.']);
    // The same while the file is still being received.
    const pending = await stage(alice(), local, 'obs/pending.bin');
    const insidePending = await apiError(stage(alice(), local, 'obs/pending.bin/inner.bin'));
    expect([insidePending.status, insidePending.reason]).toEqual([
      409,
      `"obs/pending.bin" is being received as a file (transfer ${pending.transfer_id}), so "obs/pending.bin/inner.bin" cannot be stored inside it.`,
    ]);
    // Committing with nothing sent ends that transfer.
    expect((await apiError(alice().post('upload/commit', { transfer_id: pending.transfer_id }))).status).toBe(404);
    expect(await svc.db.incomingTransfer.count()).toBe(before + 1);
    expect(listTree(stagingRoot)).toEqual([]);
  });

  test('a file in the way in the store at commit (ENOTDIR) fails the upload at once with 409, cleaned up; the data there is left alone', async () => {
    const svc = await lib.domain();
    const local = makeFile(path.join(data, 'q.bin'), 1000);
    const s = await stage(alice(), local, 'dark/p/q.bin');
    cpSync(local, s.staging_location);
    // Data no instance describes appears where a directory is needed.
    mkdirSync(path.join(storeRoot, 'dark'), { recursive: true });
    writeFileSync(path.join(storeRoot, 'dark/p'), 'not catalogued');
    const e = await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }));
    const final = path.join(storeRoot, 'dark/p/q.bin');
    expect([e.status, e.reason]).toEqual([409, `Transfer ${s.transfer_id} cannot be stored at ${final} in store "main": a part of the path is a file, not a directory (ENOTDIR: not a directory, realpath '${final}').`]);
    expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).toMatchObject({ status: 'FAILED', failureStatus: 409, failureReason: e.reason });
    expect(await svc.db.file.findUnique({ where: { name: 'dark/p/q.bin' } })).toBeNull();
    expect(readFileSync(path.join(storeRoot, 'dark/p'), 'utf8')).toBe('not catalogued');
    expect(listTree(stagingRoot)).toEqual([]);
    // Asked again: the same verdict.
    expect((await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }))).status).toBe(409);
    rmSync(path.join(storeRoot, 'dark'), { recursive: true });
  });

  test('size and checksum mismatches are rejected with 406: transfer failed, staging removed, nothing catalogued', async () => {
    const svc = await lib.domain();
    for (const [dest, damage] of [
      ['obs/short.bin', (f: string) => writeFileSync(f, readFileSync(f).subarray(1))],
      ['obs/flipped.bin', (f: string) => {
        const b = readFileSync(f);
        b[100] = b[100]! ^ 0xff;
        writeFileSync(f, b);
      }],
    ] as const) {
      const local = makeFile(path.join(data, path.basename(dest)), 10_000);
      const s = await stage(alice(), local, dest);
      cpSync(local, s.staging_location);
      damage(s.staging_location);
      const e = await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }));
      expect(e.status).toBe(406);
      expect(e.reason).toMatch(dest === 'obs/short.bin' ? /^Size mismatch: the upload declared 10000 bytes, the staging area holds 9999\.$/ : /^Checksum mismatch: the upload declared xxh3:::[0-9a-f]{32}, the staged data hashes to xxh3:::[0-9a-f]{32}\.$/);
      const t = await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } });
      expect(t).toMatchObject({ status: 'FAILED', failureStatus: 406, failureReason: e.reason });
      expect(await svc.db.file.findUnique({ where: { name: dest } })).toBeNull();
      expect(existsSync(path.join(storeRoot, dest))).toBe(false);
      expect(listTree(stagingRoot)).toEqual([]);
      // Asking again after the workflow has ended gives the same verdict.
      expect((await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }))).status).toBe(406);
    }
    // The workflow's history names the steps and why the commit was refused.
    const shown = await lib.cli(['workflows', 'show', `upload/${lib.name}/obs/flipped.bin`, '--history', '--json']);
    const events = shown.json<{ events: { type: string; detail: string }[] }>().events;
    // A refused upload is a failed workflow, its reason the failure (the Web UI shows it red).
    expect(shown.json<{ status: string; last_failure: string }>()).toMatchObject({ status: 'FAILED', last_failure: expect.stringMatching(/^Checksum mismatch/) });
    expect(events).toContainEqual(expect.objectContaining({ type: 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED', detail: 'commit' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'ACTIVITY_TASK_STARTED', detail: 'verifyAndCommitUpload: attempt 1' }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'WORKFLOW_EXECUTION_UPDATE_COMPLETED', detail: expect.stringMatching(/^Checksum mismatch: the upload declared xxh3:::/) }));
    expect(events).toContainEqual(expect.objectContaining({ type: 'WORKFLOW_EXECUTION_STARTED', detail: 'upload' }));
    const table = await lib.cli(['workflows', 'show', `upload/${lib.name}/obs/flipped.bin`, '--history']);
    expect(table.stdout).toMatch(/ACTIVITY_TASK_SCHEDULED\s+verifyAndCommitUpload\s/);
  });

  test('digests the server did not compute are not trusted at commit: data changed after it arrived over HTTP (mtime set back), a journal written into staging by someone else; 406, nothing catalogued', async () => {
    const svc = await lib.domain();
    const local = makeFile(path.join(data, 'swapped.bin'), 10_000);
    const { checksum } = await checksumOf(local);
    const other = Buffer.from(readFileSync(local));
    other[5000] = other[5000]! ^ 0xff;
    const otherFile = path.join(data, 'other.bin');
    writeFileSync(otherFile, other);
    const otherChecksum = (await checksumOf(otherFile)).checksum;
    const mismatch = `Checksum mismatch: the upload declared ${checksum}, the staged data hashes to ${otherChecksum}.`;
    const refused = async (s: Staged, dest: string) => {
      const e = await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }));
      expect([e.status, e.reason]).toEqual([406, mismatch]);
      expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).toMatchObject({ status: 'FAILED', failureStatus: 406 });
      expect(await svc.db.file.findUnique({ where: { name: dest } })).toBeNull();
      expect(existsSync(path.join(storeRoot, dest))).toBe(false);
    };

    // Sent over HTTP (the server journals its digest), then replaced in staging with other bytes
    // of the same size, its mtime set back to what the server recorded.
    const s = await stage(alice(), local, 'obs/swapped.bin');
    const row = await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } });
    expect(row.journalKey).toMatch(/^[\w-]{43}$/);
    expect(JSON.stringify(s)).not.toContain(row.journalKey);
    await alice().put(`upload/${s.transfer_id}/data`, (async function* () {
      yield readFileSync(local);
    })(), { 'Content-Type': 'application/octet-stream' });
    const received = statSync(s.staging_location);
    // What the commit would reuse for the data as received: the file as it stands, signed.
    const journaled = readFileSync(path.join(path.dirname(s.staging_location), '.librarian-upload-journal'), 'utf8').split('\n');
    expect(journaled.map((l) => (l ? JSON.parse(l) : l))).toEqual([
      { kind: 'file', algorithm: 'xxh3', mac: expect.any(String) },
      { path: '', size: 10_000, mtimeMs: received.mtimeMs, ctimeMs: received.ctimeMs, digest: parseChecksum(checksum).hex, mac: expect.any(String) },
      '',
    ]);
    const reference = path.join(data, 'swapped.time');
    execFileSync('cp', ['--preserve=timestamps', s.staging_location, reference]);
    writeFileSync(s.staging_location, other);
    execFileSync('touch', ['-m', '-r', reference, s.staging_location]);
    expect(statSync(s.staging_location).mtimeMs).toBe(received.mtimeMs);
    await refused(s, 'obs/swapped.bin');

    // Copied into staging, with a journal that claims the declared checksum for the copy.
    const f = await stage(alice(), local, 'obs/forged.bin');
    cpSync(otherFile, f.staging_location);
    const st = statSync(f.staging_location);
    const claim = { path: '', size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, digest: parseChecksum(checksum).hex };
    writeFileSync(path.join(path.dirname(f.staging_location), '.librarian-upload-journal'), `${JSON.stringify({ kind: 'file', algorithm: 'xxh3' })}\n${JSON.stringify({ ...claim, mac: 'made-up' })}\n`);
    await refused(f, 'obs/forged.bin');
  });

  test("ownership, unknown transfers and committing before any data arrived", async () => {
    const local = makeFile(path.join(data, 'owned.bin'), 2000);
    const s = await stage(alice(), local, 'obs/owned.bin');
    const bob = lib.client('bob', 'bob-password');
    const notYours = await apiError(bob.post('upload/commit', { transfer_id: s.transfer_id }));
    expect([notYours.status, notYours.reason]).toEqual([403, `Transfer ${s.transfer_id} belongs to "alice".`]);
    expect((await apiError(bob.put(`upload/${s.transfer_id}/data`, (async function* () {})(), {}))).status).toBe(403);
    const unknown = await apiError(alice().post('upload/commit', { transfer_id: 999_999 }));
    expect([unknown.status, unknown.reason]).toEqual([404, 'No transfer with id 999999.']);
    const empty = await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }));
    expect(empty.status).toBe(404);
    expect(empty.reason).toMatch(/^Nothing was found in the staging area/);
    expect(listTree(stagingRoot)).toEqual([]);
  });

  test('re-staging a name with the same checksum supersedes the stale attempt; another name with the same content is separate', async () => {
    const svc = await lib.domain();
    const local = makeFile(path.join(data, 'again.bin'), 5000);
    const first = await stage(alice(), local, 'obs/again.bin');
    cpSync(local, first.staging_location);
    const twin = await stage(alice(), local, 'obs/again-twin.bin');
    const second = await stage(alice(), local, 'obs/again.bin');
    expect(second.superseded_transfer_ids).toEqual([first.transfer_id]);
    expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: first.transfer_id } })).toMatchObject({ status: 'FAILED', failureStatus: 409 });
    expect(existsSync(path.dirname(first.staging_location))).toBe(false);
    const stale = await apiError(alice().post('upload/commit', { transfer_id: first.transfer_id }));
    expect([stale.status, stale.reason]).toEqual([409, `Transfer ${first.transfer_id} was superseded by transfer ${second.transfer_id}.`]);
    // Someone else staging the same name with different content must wait.
    const other = makeFile(path.join(data, 'other.bin'), 5000);
    const clash = await apiError(stage(lib.client('bob', 'bob-password'), other, 'obs/again.bin'));
    expect(clash.status).toBe(409);
    expect(clash.reason).toMatch(/^"obs\/again.bin" is already being received \(transfer \d+, from alice, with a different checksum\)\.$/);

    cpSync(local, second.staging_location);
    cpSync(local, twin.staging_location);
    await alice().post('upload/commit', { transfer_id: second.transfer_id });
    await alice().post('upload/commit', { transfer_id: twin.transfer_id });
    await expectCatalogued('obs/again.bin', local);
    await expectCatalogued('obs/again-twin.bin', local);
  });

  test("another account cannot supersede an upload in progress, even with the same checksum: 409; an admin can", async () => {
    const svc = await lib.domain();
    const local = makeFile(path.join(data, 'mine.bin'), 4000);
    const first = await stage(alice(), local, 'obs/mine.bin');
    cpSync(local, first.staging_location);
    const clash = await apiError(stage(lib.client('bob', 'bob-password'), local, 'obs/mine.bin'));
    expect([clash.status, clash.reason]).toEqual([409, `"obs/mine.bin" is already being received (transfer ${first.transfer_id}, from alice, with the same checksum).`]);
    expect(clash.suggestedRemedy).toMatch(/only the account that staged it, or an admin, can stage it again/);
    // Alice's upload is untouched and still hers to commit...
    expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: first.transfer_id } })).toMatchObject({ status: 'INITIATED', createdBy: 'alice', failureStatus: null });
    expect(readFileSync(first.staging_location)).toEqual(readFileSync(local));
    // ...unless an admin takes the name over (an account that cannot finish its upload).
    const admin = lib.client();
    const taken = await stage(admin, local, 'obs/mine.bin');
    expect(taken.superseded_transfer_ids).toEqual([first.transfer_id]);
    expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: first.transfer_id } })).toMatchObject({ status: 'FAILED', failureStatus: 409 });
    cpSync(local, taken.staging_location);
    await admin.post('upload/commit', { transfer_id: taken.transfer_id });
    await expectCatalogued('obs/mine.bin', local, { source: 'admin' });
  });

  test('an upload an operator cancels before its commit: transfer CANCELLED (410), staging removed, the name free for anyone', async () => {
    const svc = await lib.domain();
    const local = makeFile(path.join(data, 'cancelled.bin'), 6000);
    const s = await stage(alice(), local, 'obs/cancelled.bin');
    cpSync(local, s.staging_location);
    const { workflowId } = await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } });
    // What an operator does from the Web UI or with `temporal workflow cancel`.
    const temporal = await testTemporalClient();
    try {
      const handle = temporal.workflow.getHandle(workflowId!);
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow('Workflow execution cancelled');
      expect((await handle.describe()).status.name).toBe('CANCELLED');
    } finally {
      await temporal.connection.close();
    }
    const reason = 'The upload was cancelled by an operator before it was committed; staging removed.';
    expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } })).toMatchObject({ status: 'CANCELLED', failureStatus: 410, failureReason: reason, endTime: expect.any(Date) });
    expect(existsSync(path.dirname(s.staging_location))).toBe(false);
    const late = await apiError(alice().post('upload/commit', { transfer_id: s.transfer_id }));
    expect([late.status, late.reason, late.suggestedRemedy]).toEqual([410, `Transfer ${s.transfer_id} is CANCELLED: ${reason}`, 'Stage the upload again.']);
    // Nobody holds the name any more: another account uploads it.
    const bob = lib.client('bob', 'bob-password');
    const again = await stage(bob, local, 'obs/cancelled.bin');
    expect(again.superseded_transfer_ids).toEqual([]);
    cpSync(local, again.staging_location);
    await bob.post('upload/commit', { transfer_id: again.transfer_id });
    await expectCatalogued('obs/cancelled.bin', local, { source: 'bob' });
  });

  test('search: filters, exact rows and cursor pagination', async () => {
    const admin = lib.client();
    const all = await admin.post<{ name: string; size: number; uploader: string; source: string; instances: { path: string; store_id: number; deletion_policy: number; available: boolean }[]; remote_instances: unknown[] }[]>(
      'search/file',
      { name: 'obs/2026/copy.bin' },
    );
    expect(all).toEqual([
      {
        name: 'obs/2026/copy.bin',
        create_time: expect.any(String),
        size: 3_000_000,
        checksum: expect.stringMatching(/^xxh3:::/),
        uploader: 'pipeline-7',
        source: 'alice',
        instances: [
          {
            path: path.join(storeRoot, 'obs/2026/copy.bin'),
            store_id: expect.any(Number),
            store_name: 'main',
            deletion_policy: 1,
            created_time: expect.any(String),
            available: true,
            checksum_time: expect.any(String),
          },
        ],
        remote_instances: [],
      },
    ]);
    const prefix = await admin.post<{ name: string }[]>('search/file', { name_prefix: 'obs/books/' });
    expect(prefix.map((f) => f.name).sort()).toEqual(['obs/books/book_1', 'obs/books/book_1_copy', 'obs/books/book_r']);
    expect((await apiError(admin.post('search/file', { uploader: 'nobody' }))).status).toBe(404);
    expect((await admin.post<unknown[]>('search/file', { source: 'alice', uploader: 'pipeline-7' })).length).toBeGreaterThanOrEqual(8);
    const future = await apiError(admin.post('search/file', { create_time_window: ['2099-01-01T00:00:00Z', '2099-12-31T00:00:00Z'] }));
    expect(future.status).toBe(404);

    const everything: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await admin.request<{ name: string }[]>('search/file', { name_prefix: 'obs/', max_results: 3, cursor });
      expect(page.body.length).toBeLessThanOrEqual(3);
      everything.push(...page.body.map((f) => f.name));
      cursor = page.headers.get('x-next-cursor') ?? undefined;
      pages++;
    } while (cursor);
    const svc = await lib.domain();
    const inCatalog = (await svc.db.file.findMany({ where: { name: { startsWith: 'obs/' } }, orderBy: [{ createTime: 'desc' }, { name: 'asc' }] })).map((f) => f.name);
    expect(everything).toEqual(inCatalog);
    expect(pages).toBe(Math.ceil(inCatalog.length / 3));
    expect((await apiError(admin.post('search/file', { cursor: 'garbage' }))).status).toBe(400);
  });

  test('validate: matches, cache, corruption and loss recorded as findings, and cleared when the data is good again', async () => {
    const reader = lib.client('reader', 'reader-password');
    const ok = await reader.post<Record<string, unknown>[]>('validate/file', { file_name: 'obs/http.bin' });
    expect(ok).toEqual([expect.objectContaining({ librarian: lib.name, store_name: 'main', computed_same_checksum: true, cached: true, original_size: 5_000_000 })]);
    const stored = path.join(storeRoot, 'obs/http.bin');
    const original = readFileSync(stored);
    const damaged = Buffer.from(original);
    damaged[12345] = damaged[12345]! ^ 1;
    writeFileSync(stored, damaged);
    // Within the cache lifetime the stored verdict is reused; force recomputes.
    expect((await reader.post<{ cached: boolean }[]>('validate/file', { file_name: 'obs/http.bin' }))[0]).toMatchObject({ cached: true, computed_same_checksum: true });
    const bad = await reader.post<{ computed_same_checksum: boolean; current_checksum: string; instance_id: number }[]>('validate/file', { file_name: 'obs/http.bin', force: true });
    expect(bad[0]).toMatchObject({ computed_same_checksum: false, cached: false, current_size: 5_000_000 });
    const svc = await lib.domain();
    const instanceId = bad[0]!.instance_id;
    // Recorded once, and the copy taken out of use until it is good again.
    expect(await svc.db.finding.findMany({ where: { instanceId } })).toEqual([
      expect.objectContaining({ kind: 'CORRUPT', fileName: 'obs/http.bin', path: 'obs/http.bin', count: 1, resolvedAt: null, detail: expect.stringContaining(`hashes to ${bad[0]!.current_checksum}`) }),
    ]);
    expect((await svc.db.instance.findUniqueOrThrow({ where: { id: instanceId } })).available).toBe(false);
    // The damaged copy is still reported (and checked again), not left out.
    expect((await lib.cli(['validate', 'obs/http.bin', '--force'])).status).toBe(1);
    expect((await svc.db.finding.findFirstOrThrow({ where: { instanceId } })).count).toBe(2);
    writeFileSync(stored, original);
    const fixed = await lib.cli(['validate', 'obs/http.bin', '--force', '--json']);
    expect(fixed.status).toBe(0);
    expect(fixed.json<{ computed_same_checksum: boolean }[]>()[0]!.computed_same_checksum).toBe(true);
    expect(await svc.db.finding.findFirstOrThrow({ where: { instanceId } })).toMatchObject({ resolvedAt: expect.any(Date), resolution: 'verified good' });
    expect((await svc.db.instance.findUniqueOrThrow({ where: { id: instanceId } })).available).toBe(true);
    // A deleted copy is found even by the cached answer: recorded as lost, never reported as matching
    // (to our callers, which send force; file_name alone is a v2 caller's, which is not given it).
    renameSync(stored, `${stored}.away`);
    expect(await reader.post<Record<string, unknown>[]>('validate/file', { file_name: 'obs/http.bin' })).toEqual([]);
    const gone = await reader.post<Record<string, unknown>[]>('validate/file', { file_name: 'obs/http.bin', force: false });
    expect(gone).toEqual([expect.objectContaining({ computed_same_checksum: false, state: 'lost', current_checksum: null, error: `the data is missing from ${stored}` })]);
    expect(await svc.db.finding.findFirstOrThrow({ where: { instanceId, kind: 'LOST' } })).toMatchObject({ resolvedAt: null, detail: `the data is missing from ${stored}` });
    renameSync(`${stored}.away`, stored);
    expect((await reader.post<{ computed_same_checksum: boolean }[]>('validate/file', { file_name: 'obs/http.bin' }))[0]!.computed_same_checksum).toBe(true);
    expect(await svc.db.finding.count({ where: { instanceId, resolvedAt: null } })).toBe(0);
    expect((await apiError(reader.post('validate/file', { file_name: 'obs/nope' }))).status).toBe(404);
  });

  test('CLI: upload a file and a book, search, and a refusal exits non-zero with the reason', async () => {
    const file = makeFile(path.join(data, 'cli.bin'), 200_000);
    const up = await lib.cli(['upload', file, 'cli/cli.bin', '--via', 'http', '--json'], { username: 'alice', password: 'alice-password' });
    expect(up.status).toBe(0);
    expect(up.json()).toMatchObject({ file_name: 'cli/cli.bin', via: 'http', size: 200_000 });
    const bookDir = makeBook(path.join(data, 'cli_book'), 5, 10_000);
    const upBook = await lib.cli(['upload', bookDir, 'cli/book', '--json'], { username: 'alice', password: 'alice-password' });
    expect(upBook.status).toBe(0);
    expect(upBook.json()).toMatchObject({ file_name: 'cli/book', via: 'copy' });
    expect(treeDigest(path.join(storeRoot, 'cli/book'))).toEqual(treeDigest(bookDir));
    const again = await lib.cli(['upload', file, 'cli/cli.bin'], { username: 'alice', password: 'alice-password' });
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('File "cli/cli.bin" already exists on this Librarian.');
    const found = await lib.cli(['search', '--name-prefix', 'cli/', '--json']);
    expect(found.json<{ name: string; uploader: string }[]>().map((f) => [f.name, f.uploader]).sort()).toEqual([
      ['cli/book', 'alice'],
      ['cli/cli.bin', 'alice'],
    ]);
    expect((await lib.cli(['search', '--name-prefix', 'cli/'])).stdout).toMatch(/cli\/cli\.bin\s+195\.3 KiB/);
  });

  test('a store that makes data read-only gets a verified copy, read-only on disk', async () => {
    const admin = lib.client();
    await admin.post('admin/stores/state_change', { store_name: 'ro', enabled: true });
    await admin.post('admin/stores/state_change', { store_name: 'main', enabled: false });
    const bookDir = makeBook(path.join(data, 'ro_book'), 3, 20_000);
    try {
      expect(await uploadPath(lib.client(), bookDir, 'ro/book', { via: 'http' })).toMatchObject({ store_name: 'ro' });
    } finally {
      await admin.post('admin/stores/state_change', { store_name: 'main', enabled: true });
      await admin.post('admin/stores/state_change', { store_name: 'ro', enabled: false });
    }
    const ro = lib;
    const stored = path.join(ro.dir, 'stores/ro/store/ro/book');
    expect(treeDigest(stored)).toEqual(treeDigest(bookDir));
    expect(statSync(path.join(stored, 'meta/part_0000.dat')).mode & 0o777).toBe(0o444);
    expect(statSync(stored).mode & 0o777).toBe(0o555);
    expect(listTree(path.join(ro.dir, 'stores/ro/staging'))).toEqual([]);
    expect(listTree(path.join(ro.dir, 'stores/ro/store/ro'))).toEqual(['book', 'book/meta', 'book/meta/part_0000.dat', 'book/meta/part_0002.dat', 'book/raw', 'book/raw/part_0001.dat']);
  });

  test('a store with trustClientCopies takes a client\'s copy on its declared checksum (sizes still checked); data sent over HTTP is still hashed by the server', async () => {
    const admin = lib.client();
    const svc = await lib.domain();
    await admin.post('admin/stores/state_change', { store_name: 'trusting', enabled: true });
    await admin.post('admin/stores/state_change', { store_name: 'main', enabled: false });
    const trustingRoot = path.join(lib.dir, 'stores/trusting/store');
    try {
      // The copy is not read again: a copy damaged in place (same size) is catalogued with the
      // client's checksum of its source. This is what the option trades away.
      const local = makeFile(path.join(data, 'trusted.bin'), 10_000);
      const declared = (await checksumOf(local)).checksum;
      const s = await stage(alice(), local, 'trusted/flipped.bin');
      expect(s.store_name).toBe('trusting');
      cpSync(local, s.staging_location);
      const b = readFileSync(s.staging_location);
      b[100] = b[100]! ^ 0xff;
      writeFileSync(s.staging_location, b);
      expect(await alice().post('upload/commit', { transfer_id: s.transfer_id })).toMatchObject({ success: true, store_name: 'trusting' });
      expect((await svc.db.file.findUniqueOrThrow({ where: { name: 'trusted/flipped.bin' } })).checksum).toBe(declared);
      expect(readFileSync(path.join(trustingRoot, 'trusted/flipped.bin'))).toEqual(b);

      // Sizes are still checked.
      const short = await stage(alice(), local, 'trusted/short.bin');
      writeFileSync(short.staging_location, readFileSync(local).subarray(1));
      const e = await apiError(alice().post('upload/commit', { transfer_id: short.transfer_id }));
      expect([e.status, e.reason]).toEqual([406, 'Size mismatch: the upload declared 10000 bytes, the staging area holds 9999.']);

      // Bytes that came through the HTTP receiver are checked against what it computed.
      const bad = await stage(alice(), local, 'trusted/http.bin');
      await alice().put(`upload/${bad.transfer_id}/data`, (async function* () {
        yield b;
      })(), { 'Content-Type': 'application/octet-stream' });
      const e2 = await apiError(alice().post('upload/commit', { transfer_id: bad.transfer_id }));
      expect(e2.status).toBe(406);
      expect(e2.reason).toMatch(/^Checksum mismatch: /);

      // The client: a book copied in the kernel, catalogued as its source hashes.
      const bookDir = makeBook(path.join(data, 'trusted_book'), 6, 50_000);
      expect(await uploadPath(alice(), bookDir, 'trusted/book', { via: 'copy', uploader: 'pipeline-7' })).toMatchObject({ via: 'copy', store_name: 'trusting' });
      expect((await svc.db.file.findUniqueOrThrow({ where: { name: 'trusted/book' } })).checksum).toBe((await checksumOf(bookDir)).checksum);
      expect(treeDigest(path.join(trustingRoot, 'trusted/book'))).toEqual(treeDigest(bookDir));
    } finally {
      await admin.post('admin/stores/state_change', { store_name: 'main', enabled: true });
      await admin.post('admin/stores/state_change', { store_name: 'trusting', enabled: false });
    }
    expect(listTree(path.join(lib.dir, 'stores/trusting/staging'))).toEqual([]);
  });
});
