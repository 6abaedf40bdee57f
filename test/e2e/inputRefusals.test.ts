/**
 * Input that used to end in a 500 (issue 14): times outside what the catalog holds, forged search
 * cursors, tar streams that name a path both as a file and as a directory, and checksums with an
 * algorithm we do not know. Each is a 400 with the usual error body, and leaves nothing behind
 * that would stand in the way of the corrected request. Also the cost of a tar of many small
 * files: the receiver's bookkeeping grows with the files, not with their square, and what it
 * lists survives a crash.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { uploads } from '../../src/protocol';
import type { LibrarianClient } from '../../src/protocol/client';
import { checksumOf, closeChecksums, listTree, makeFile, tarBody, type TarMember, tmpDir } from '../support/data';
import { apiError } from '../support/http';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';

interface Staged {
  transfer_id: number;
  staging_location: string;
  staging_name: string;
}

function put(client: LibrarianClient, transferId: number, body: Buffer) {
  return client.send(
    uploads.data,
    { transfer_id: transferId },
    (async function* () {
      yield body;
    })(),
    { 'Content-Type': 'application/x-tar' },
  );
}

// The Librarians started here run far from UTC, so that a time read as local time would show.
process.env.TZ = 'Pacific/Auckland';

const RANGE = 'times run from 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z';

afterAll(async () => {
  await stopAllLibrarians();
  await closeChecksums();
});

describe.each(PROVIDERS)('bad input gets a 400, and many small files stay cheap, on %s', (provider) => {
  let lib: LibrarianHandle;
  let data: string;
  let stagingRoot: string;

  beforeAll(async () => {
    lib = await startLibrarian({ provider });
    data = tmpDir('refusals-');
    stagingRoot = path.join(lib.dir, 'stores/main/staging');
  });

  async function stage(local: string, dest: string, client = lib.client()): Promise<Staged> {
    const { checksum, size } = await checksumOf(local);
    return client.post<Staged>('upload/stage', { upload_size: size, upload_checksum: checksum, upload_name: path.basename(dest), destination_location: dest, uploader: 'pipeline-7' });
  }

  async function received(transferId: number): Promise<string[]> {
    const s = await lib.client().post<{ received_files: { path: string }[] }>('upload/status', { transfer_id: transferId });
    return s.received_files.map((f) => f.path).sort();
  }

  test('times outside years 0001-9999 and forged cursors, on every endpoint that takes a time', async () => {
    const admin = lib.client();
    const local = makeFile(path.join(data, 'timed.bin'), 100);
    const s = await stage(local, 'timed/one.bin');
    await admin.put(`upload/${s.transfer_id}/data`, (async function* () {
      yield readFileSync(local);
    })(), { 'Content-Type': 'application/octet-stream' });
    await admin.post('upload/commit', { transfer_id: s.transfer_id });

    const far = '+275760-09-13T00:00:00Z';
    const refusals: [string, Record<string, unknown>, string][] = [
      ['search/file', { create_time_window: [far, '2026-01-01T00:00:00Z'] }, `create_time_window.0: "${far}" is out of range: ${RANGE}`],
      ['search/file', { create_time_window: ['2026-01-01T00:00:00Z', '-1000000-01-01T00:00:00Z'] }, `create_time_window.1: "-1000000-01-01T00:00:00Z" is out of range: ${RANGE}`],
      ['search/file', { create_time_window: ['0000-12-31T23:59:59Z', '2026-01-01T00:00:00Z'] }, `create_time_window.0: "0000-12-31T23:59:59Z" is out of range: ${RANGE}`],
      ['search/file', { create_time_window: [8.64e15, 0] }, `create_time_window.0: 8640000000000000 is out of range: ${RANGE}`],
      ['search/file', { create_time_window: ['2026-02-30T00:00:00Z', '2026-03-01T00:00:00Z'] }, 'create_time_window.0: "2026-02-30T00:00:00Z" is not a valid date and time'],
      ['search/file', { create_time_window: ['yesterday', 'today'] }, 'create_time_window.0: "yesterday" is not an ISO 8601 time (such as 2026-01-31T12:00:00Z); create_time_window.1: "today" is not an ISO 8601 time (such as 2026-01-31T12:00:00Z)'],
      ['search/instance_local', { created_time: far }, `created_time: "${far}" is out of range: ${RANGE}`],
      ['search/instance_remote', { copy_time: '10000-01-01T00:00:00Z' }, `copy_time: "10000-01-01T00:00:00Z" is out of range: ${RANGE}`],
      ['search/error', { create_time_window: [far, far] }, `create_time_window.0: "${far}" is out of range: ${RANGE}; create_time_window.1: "${far}" is out of range: ${RANGE}`],
      [
        'admin/add_file',
        { name: 'timed/two.bin', create_time: far, size: 100, checksum: 'xxh3:::00000000000000000000000000000000', uploader: 'u', source: 's', path: '/nowhere', store_name: 'main' },
        `create_time: "${far}" is out of range: ${RANGE}`,
      ],
    ];
    for (const [endpoint, body, problem] of refusals) {
      const e = await apiError(admin.post(endpoint, body));
      expect([endpoint, e.status, e.body]).toEqual([endpoint, 400, { reason: `The request body is not valid: ${problem}.`, suggested_remedy: `See the schema of /api/v2/${endpoint} in /api/v2/openapi.json.` }]);
    }

    // The extremes themselves are times the catalog holds, on both databases.
    const all = await admin.post<{ name: string }[]>('search/file', { create_time_window: ['0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z'] });
    expect(all.map((f) => f.name)).toContain('timed/one.bin');
    expect((await apiError(admin.post('search/error', { create_time_window: ['0001-01-01T00:00:00Z', '0001-01-02T00:00:00Z'] }))).status).toBe(404);
    // A time without an offset is UTC (as v2 clients send it), whatever the server's time zone.
    const [inst] = await admin.post<{ created_time: string }[]>('search/instance_local', { file_name: 'timed/one.bin' });
    const naive = inst!.created_time.replace(/Z$/, '');
    expect((await admin.post<{ file_name: string }[]>('search/instance_local', { created_time: naive })).map((i) => i.file_name)).toEqual(['timed/one.bin']);

    const cursor = (c: unknown) => Buffer.from(JSON.stringify(c)).toString('base64url');
    for (const forged of [cursor({ t: far, n: 'x' }), cursor({ t: '-271821-04-20T00:00:00.000Z', n: 'x' }), cursor({ t: 'garbage', n: 'x' }), cursor({ t: 1, n: 'x' }), 'garbage']) {
      const e = await apiError(admin.post('search/file', { cursor: forged }));
      expect([forged, e.status, e.body]).toEqual([forged, 400, { reason: 'The cursor is not valid.', suggested_remedy: 'Pass back the X-Next-Cursor header of the previous page unchanged.' }]);
    }
  });

  test('a checksum with an unknown algorithm is refused naming that algorithm', async () => {
    const sha = 'b57b64b198d5d59ce5a22a9b9f25e72a7d081476d432051aa923f3dbebb90934';
    const e = await apiError(lib.client().post('upload/stage', { upload_size: 1, upload_checksum: `SHA256:::${sha}`, upload_name: 'x', destination_location: 'sums/x' }));
    expect([e.status, e.body]).toEqual([
      400,
      {
        reason: 'Unknown checksum algorithm "SHA256" (algorithm names are lower case: "sha256"); accepted algorithms: xxh3, md5, sha1, sha256, sha512.',
        suggested_remedy:
          'Write "<algorithm>:::<hex digits>" with one of xxh3 (32 hex digits), md5 (32 hex digits), sha1 (40 hex digits), sha256 (64 hex digits), sha512 (128 hex digits); a bare hex string is md5.',
      },
    ]);
  });

  test('a tar stream naming a path both as a file and as a directory: 400, nothing kept there, and the corrected stream completes', async () => {
    const book = tmpDir('clash-');
    const x = readFileSync(makeFile(path.join(book, 'x.dat'), 10));
    const y = readFileSync(makeFile(path.join(book, 'y.dat'), 10));
    const b = readFileSync(makeFile(path.join(book, 'a/b.dat'), 20));
    const cases: { entries: TarMember[]; clash: string }[] = [
      // A file, then something inside it.
      { entries: [{ name: 'x.dat', data: x }, { name: 'a', data: Buffer.from('1') }, { name: 'a/b.dat', data: b }], clash: 'a' },
      // A directory, then a file of the same name.
      { entries: [{ name: 'x.dat', data: x }, { name: 'a/', directory: true }, { name: 'a', data: Buffer.from('1') }], clash: 'a' },
      // A file inside a directory, then a file of the directory's name.
      { entries: [{ name: 'x.dat', data: x }, { name: 'a/b.dat', data: b }, { name: 'a', data: Buffer.from('1') }], clash: 'a' },
      // A file, then a directory of its name.
      { entries: [{ name: 'x.dat', data: x }, { name: 'a/b.dat/', directory: true }, { name: 'a/b.dat', data: b }], clash: 'a/b.dat' },
    ];
    for (const [i, c] of cases.entries()) {
      const s = await stage(book, `clash/book_${i}`);
      const e = await apiError(put(lib.client(), s.transfer_id, await tarBody(c.entries)));
      expect([i, e.status, e.body]).toEqual([
        i,
        400,
        {
          reason: `The tar stream names "${c.clash}" both as a file and as a directory.`,
          suggested_remedy: `Send a tar in which each path is one or the other. Nothing is kept at "${c.clash}"; the files received completely elsewhere are kept for resuming (upload/status lists them).`,
          received_bytes: 10,
        },
      ]);
      expect(listTree(s.staging_location)).toEqual(c.clash === 'a' ? ['x.dat'] : ['a', 'x.dat']);
      expect(await received(s.transfer_id)).toEqual(['x.dat']);
      // The whole directory again, corrected: received, committed, catalogued as staged.
      expect(await put(lib.client(), s.transfer_id, await tarBody([{ name: 'x.dat', data: x }, { name: 'y.dat', data: y }, { name: 'a/b.dat', data: b }]))).toMatchObject({ received_files: 3, complete: true });
      await lib.client().post('upload/commit', { transfer_id: s.transfer_id });
      expect(listTree(path.join(lib.dir, 'stores/main/store', `clash/book_${i}`))).toEqual(['a', 'a/b.dat', 'x.dat', 'y.dat']);
    }
    expect(listTree(stagingRoot)).toEqual([]);
  });

  test('a resumed tar stream replaces what an earlier one left under the same name, file or directory', async () => {
    const book = tmpDir('replace-');
    const b = readFileSync(makeFile(path.join(book, 'a/b.dat'), 20));
    const s = await stage(book, 'replace/book');
    // First a file "a", then (the client's mind changed) a directory "a".
    expect(await put(lib.client(), s.transfer_id, await tarBody([{ name: 'a', data: Buffer.from('first') }]))).toMatchObject({ received_files: 1, complete: false });
    expect(await put(lib.client(), s.transfer_id, await tarBody([{ name: 'a/b.dat', data: b }]))).toMatchObject({ received_bytes: 20, received_files: 1, complete: true });
    expect(await received(s.transfer_id)).toEqual(['a/b.dat']);
    // And back: a file "a" replaces the directory and what it held.
    expect(await put(lib.client(), s.transfer_id, await tarBody([{ name: 'a', data: Buffer.from('second') }]))).toMatchObject({ received_bytes: 6, received_files: 1 });
    expect(listTree(s.staging_location)).toEqual(['a']);
    expect(await put(lib.client(), s.transfer_id, await tarBody([{ name: 'a/b.dat', data: b }]))).toMatchObject({ received_bytes: 20, received_files: 1, complete: true });
    await lib.client().post('upload/commit', { transfer_id: s.transfer_id });
    expect(readFileSync(path.join(lib.dir, 'stores/main/store/replace/book/a/b.dat'))).toEqual(b);
  });

  test("a tar of 3,000 one-byte files: the receiver's writes grow with the files, not with their square", async () => {
    const book = tmpDir('tiny-');
    const names = Array.from({ length: 3000 }, (_, i) => `f${String(i).padStart(4, '0')}`);
    for (const n of names) makeFile(path.join(book, n), 1);
    const s = await stage(book, 'tiny/book');
    const body = await tarBody(names.map((n) => ({ name: n, data: readFileSync(path.join(book, n)) })));
    const pid = lib.pid('start')!;
    const written = () => Number(/wchar: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
    const before = written();
    expect(await put(lib.client(), s.transfer_id, body)).toMatchObject({ received_files: 3000, complete: true });
    // The data (3,000 bytes) and about 230 bytes of signed journal per file; rewriting a state file of
    // every file after each one wrote about 0.4 GB here.
    expect(written() - before).toBeLessThan(3000 * 1024);
    expect(await received(s.transfer_id)).toEqual(names);
    await lib.client().post('upload/commit', { transfer_id: s.transfer_id });
    expect(existsSync(path.join(lib.dir, 'stores/main/store/tiny/book/f2999'))).toBe(true);
  });
});

describe('a tar stream cut by a kill -9 of the API', () => {
  test('what the journal lists is on disk; the upload resumes with the rest and commits', async () => {
    const lib = await startLibrarian({ separate: true });
    const book = tmpDir('killed-');
    const names = Array.from({ length: 1500 }, (_, i) => `f${String(i).padStart(4, '0')}`);
    for (const n of names) makeFile(path.join(book, n), 1);
    const { checksum, size } = await checksumOf(book);
    const s = await lib.client().post<Staged>('upload/stage', { upload_size: size, upload_checksum: checksum, upload_name: 'book', destination_location: 'killed/book' });
    const whole = await tarBody(names.map((n) => ({ name: n, data: readFileSync(path.join(book, n)) })));
    // Each member is a 512-byte header and one 512-byte block: send 1,200 of them, then stall.
    const sending = lib
      .client()
      .put(`upload/${s.transfer_id}/data`, (async function* () {
        yield whole.subarray(0, 1200 * 1024);
        await new Promise(() => undefined);
      })(), { 'Content-Type': 'application/x-tar' })
      .catch((e: unknown) => e);
    const listed = async () => (await lib.client().post<{ received_files: { path: string; size: number }[] }>('upload/status', { transfer_id: s.transfer_id })).received_files;
    await waitFor('the journal to list received files', async () => (await listed()).length >= 1000);
    await lib.stopApi('SIGKILL');
    await sending;
    await lib.startApi();
    // The killed request's claim on the transfer lapses on its own (the lease is 30 s).
    const svc = await lib.domain();
    await waitFor('the killed request\'s claim to lapse', async () => {
      const t = await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: s.transfer_id } });
      return !t.receivingUntil || t.receivingUntil < new Date();
    });

    const after = await listed();
    expect(after.length).toBeGreaterThanOrEqual(1000);
    expect(after.length).toBeLessThanOrEqual(1200);
    for (const f of after) expect([f.path, statSync(path.join(s.staging_location, f.path)).size]).toEqual([f.path, 1]);
    const have = new Set(after.map((f) => f.path));
    const rest = names.filter((n) => !have.has(n));
    expect(await put(lib.client(), s.transfer_id, await tarBody(rest.map((n) => ({ name: n, data: readFileSync(path.join(book, n)) }))))).toMatchObject({ received_files: 1500, complete: true });
    await lib.client().post('upload/commit', { transfer_id: s.transfer_id });
    const [file] = await lib.client().post<{ checksum: string; size: number }[]>('search/file', { name: 'killed/book' });
    expect(file).toMatchObject({ checksum, size: 1500 });
  });
});
