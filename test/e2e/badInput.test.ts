/**
 * Bad input gets a 4xx with the usual error body, never a 500 or a failure later (issue 14, items
 * 13-15): names over the limits of a filesystem or of Temporal's workflow ids, bodies the server
 * cannot read, absurd credentials, a wrong method on a known path. Real API and worker, HTTP.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { uploadPath } from '../../src/client/upload';
import { checksumOf, closeChecksums, listTree, makeFile, tarBody, tmpDir } from '../support/data';
import { apiError } from '../support/http';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** A raw request, for what the client would never send; the answer's body parsed as JSON. */
async function raw(url: string, init: RequestInit): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as Record<string, unknown> };
}

/** A request whose headers are over Node's limit: fetch would refuse to send it; a socket does. */
function oversized(url: string, headerBytes: number): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${url}/api/v2/ping/logged`, { method: 'POST', headers: { Authorization: basic('admin', 'x'.repeat(headerBytes)), 'Content-Type': 'application/json' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body }));
    });
    req.on('error', reject);
    req.end('{}');
  });
}

describe.each(PROVIDERS)('bad input on %s', (provider) => {
  let lib: LibrarianHandle;
  let data: string;
  let auth: string;
  const api = (p: string) => `${lib.url}/api/v2/${p}`;

  beforeAll(async () => {
    lib = await startLibrarian({ provider });
    data = tmpDir('bad-input-');
    auth = basic(lib.admin.username, lib.admin.password);
  });
  afterAll(async () => {
    await stopAllLibrarians();
    await closeChecksums();
  });

  const body = (over: Record<string, unknown> = {}) => ({
    upload_size: 10,
    upload_checksum: `md5:::${'0'.repeat(32)}`,
    upload_name: 'x.bin',
    destination_location: 'long/x.bin',
    ...over,
  });

  test('names over the limits are refused when staged, with the limit in the reason', async () => {
    const admin = lib.client();
    const svc = await lib.domain();
    const before = await svc.db.incomingTransfer.count();

    const longUploadName = await apiError(admin.post('upload/stage', body({ upload_name: 'n'.repeat(10_000) })));
    expect([longUploadName.status, longUploadName.body]).toEqual([
      400,
      { reason: `The upload name "${'n'.repeat(64)}…" is longer than 255 bytes (UTF-8).`, suggested_remedy: 'Use a name of at most 255 bytes.' },
    ]);
    // Over Temporal's workflow id limit (1000 bytes) with the upload's workflow id built from it.
    const overIdLimit = `long/${'d/'.repeat(548)}x.bin`;
    const longName = await apiError(admin.post('upload/stage', body({ destination_location: overIdLimit })));
    expect([longName.status, longName.reason]).toEqual([400, `The destination path "${overIdLimit.slice(0, 64)}…" is longer than 512 bytes (UTF-8).`]);
    // 256 bytes in one segment: 128 two-byte characters.
    const segment = 'é'.repeat(128);
    const longSegment = await apiError(admin.post('upload/stage', body({ destination_location: `long/${segment}/x.bin` })));
    expect(longSegment.status).toBe(400);
    expect(longSegment.reason).toMatch(/^The destination path "long\/é+…" has a segment of 256 bytes \("é+…"\); filesystems take at most 255 bytes \(UTF-8\) between two "\/"\.$/);

    // 60 MB of name: refused at once, not after the body has gone as far as Temporal.
    const started = Date.now();
    const huge = await raw(api('upload/stage'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: auth },
      body: JSON.stringify(body({ destination_location: 'h'.repeat(60_000_000) })),
    });
    expect([huge.status, huge.body.reason]).toEqual([400, `The destination path "${'h'.repeat(64)}…" is longer than 512 bytes (UTF-8).`]);
    expect(Date.now() - started).toBeLessThan(15_000);

    // A peer's single stage (v2's SneakerNet ingest) and the v2 add_file and import, the same way.
    const cloneStage = await apiError(admin.post('clone/stage', { ...body({ destination_location: overIdLimit }), uploader: 'u', source: 'some-peer', source_transfer_id: 1 }));
    expect([cloneStage.status, cloneStage.reason]).toEqual([400, `The destination path "${overIdLimit.slice(0, 64)}…" is longer than 512 bytes (UTF-8).`]);
    const storeRoot = path.join(lib.dir, 'stores/main/store');
    const addFile = await apiError(
      admin.post('admin/add_file', { name: overIdLimit, create_time: '2026-01-01T00:00:00Z', size: 1, checksum: `md5:::${'0'.repeat(32)}`, uploader: 'u', source: 'u', path: path.join(storeRoot, 'a'), store_name: 'main' }),
    );
    expect([addFile.status, addFile.reason]).toEqual([400, `The file name "${overIdLimit.slice(0, 64)}…" is longer than 512 bytes (UTF-8).`]);
    const imported = await apiError(admin.post('admin/import', { store_name: 'main', path: 'a', name: `long/${segment}` }));
    expect(imported.status).toBe(400);
    expect(imported.reason).toMatch(/^The file name "long\/é+…" has a segment of 256 bytes/);

    expect(await svc.db.incomingTransfer.count()).toBe(before);
    expect(listTree(path.join(lib.dir, 'stores/main/staging'))).toEqual([]);
  }, 120_000);

  test("a peer's batch refuses each item whose name is over the limits, not the batch", async () => {
    const admin = lib.client();
    await admin.post('users/create', { username: 'peer-long', password: 'peer-long-password', permission: 'READAPPEND' });
    await admin.post('admin/librarians/add', { librarian_name: 'peer-long', url: '127.0.0.1', port: 9, authenticator: 'someone:some-password', check_connection: false });
    const peer = lib.client('peer-long', 'peer-long-password');
    const item = (n: number, destination: string) => ({ ...body({ destination_location: destination, upload_name: destination }), uploader: 'u', source_transfer_id: n });
    const r = await peer.post<{ uploads: unknown[]; refused: { source_transfer_id: number; status: number; reason: string }[] }>('clone/batch_stage', {
      source: 'peer-long',
      extensions: 1,
      uploads: [item(1, `long/${'d/'.repeat(300)}x.bin`), item(2, `long/${'s'.repeat(256)}`)],
    });
    expect(r.uploads).toEqual([]);
    expect(r.refused.map((x) => [x.source_transfer_id, x.status])).toEqual([
      [1, 400],
      [2, 400],
    ]);
    expect(r.refused[0]!.reason).toMatch(/is longer than 512 bytes \(UTF-8\)\.$/);
    expect(r.refused[1]!.reason).toMatch(/has a segment of 256 bytes/);
  });

  test('a name at the limits is uploaded and catalogued; a tar entry over them is refused', async () => {
    // 512 bytes: segments of 255 bytes (85 three-byte characters) and 254, "/" and "x".
    const name = `${'€'.repeat(85)}/${'€'.repeat(84)}ab/x`;
    expect(Buffer.byteLength(name)).toBe(512);
    const local = makeFile(path.join(data, 'at-limit.bin'), 1000);
    const r = await uploadPath(lib.client(), local, name, { via: 'http', uploader: 'u' });
    expect(r.file_name).toBe(name);
    const svc = await lib.domain();
    expect(await svc.db.file.findUnique({ where: { name } })).toMatchObject({ name, size: 1000n });
    expect(readFileSync(path.join(lib.dir, 'stores/main/store', name))).toEqual(readFileSync(local));

    const book = path.join(data, 'book');
    mkdirSync(book);
    const { checksum } = await checksumOf(makeFile(path.join(book, 'a'), 10));
    const s = await lib.client().post<{ transfer_id: number }>('upload/stage', body({ upload_checksum: checksum, upload_name: 'book', destination_location: 'long/book' }));
    const entry = `${'t'.repeat(256)}/a`;
    const refused = await apiError(
      lib.client().put(`upload/${s.transfer_id}/data`, (async function* () {
        yield await tarBody([{ name: entry, data: Buffer.alloc(10) }]);
      })(), { 'Content-Type': 'application/x-tar' }),
    );
    expect([refused.status, refused.reason]).toEqual([400, `The tar entry "${entry.slice(0, 64)}…" has a segment of 256 bytes ("${'t'.repeat(64)}…"); filesystems take at most 255 bytes (UTF-8) between two "/".`]);
    expect(listTree(path.join(lib.dir, 'stores/main/staging')).filter((f) => f.includes('tttt'))).toEqual([]);
  });

  test('a body the server cannot read is a 4xx with the error body', async () => {
    const post = (headers: Record<string, string>, payload: string | Buffer) => raw(api('ping/logged'), { method: 'POST', headers: { Authorization: auth, ...headers }, body: payload });
    const charset = await post({ 'Content-Type': 'application/json; charset=bogus' }, '{}');
    expect([charset.status, charset.body]).toEqual([415, { reason: 'The request body\'s charset "bogus" is not supported.', suggested_remedy: 'Send JSON in UTF-8 (Content-Type: application/json, or with charset=utf-8).' }]);
    const gzip = await post({ 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, 'not gzip at all');
    expect([gzip.status, gzip.body]).toEqual([
      400,
      { reason: 'The request body could not be decompressed (Content-Encoding: gzip): incorrect header check.', suggested_remedy: 'Compress the body as its Content-Encoding says, or send it uncompressed.' },
    ]);
    const encoding = await post({ 'Content-Type': 'application/json', 'Content-Encoding': 'bogus' }, '{}');
    expect([encoding.status, encoding.body.reason]).toEqual([415, 'The Content-Encoding "bogus" is not supported.']);
    // Read as no body at all, a search would list everything: refused.
    const text = await raw(api('search/file'), { method: 'POST', headers: { Authorization: auth, 'Content-Type': 'text/plain' }, body: '{"name": "x"}' });
    expect([text.status, text.body]).toEqual([415, { reason: 'The request body is of type "text/plain", not JSON.', suggested_remedy: 'Send a JSON object with Content-Type: application/json.' }]);
    // What works: gzip that is gzip, and no body where none is needed (v2 clients send none to admin/stores/list).
    expect((await post({ 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, zlib.gzipSync('{}'))).status).toBe(200);
    expect((await raw(api('admin/stores/list'), { method: 'POST', headers: { Authorization: auth } })).status).toBe(200);
  });

  test('absurd Basic credentials get a JSON error body', async () => {
    const long = await raw(api('ping/logged'), { method: 'POST', headers: { Authorization: basic('admin', 'x'.repeat(5000)), 'Content-Type': 'application/json' }, body: '{}' });
    expect([long.status, long.headers.get('www-authenticate'), long.body]).toEqual([
      401,
      'Basic realm="librarian", charset="UTF-8"',
      { reason: 'The HTTP Basic credentials are longer than 4096 bytes, which no account has.', suggested_remedy: 'Send your username (at most 256 characters) and password (at most 1024).' },
    ]);
    // Over Node's header limit (16 KB): Node refuses it before Express, with our body.
    const overLimit = await oversized(lib.url, 20_000);
    expect([overLimit.status, overLimit.contentType, JSON.parse(overLimit.body)]).toEqual([
      431,
      'application/json; charset=utf-8',
      { reason: 'The request headers are larger than this server accepts (16 KB in all).', suggested_remedy: 'Send shorter headers: HTTP Basic credentials of at most 4096 bytes, no large cookies.' },
    ]);
    // The server is still there.
    expect((await lib.client().post('ping/logged')) as { username: string }).toMatchObject({ username: 'admin' });
  });

  test('a wrong method on a known path is 405 with Allow and the error body', async () => {
    const get = await raw(api('upload/stage'), { method: 'GET', headers: { Authorization: auth } });
    expect([get.status, get.headers.get('allow'), get.body]).toEqual([405, 'POST', { reason: '/api/v2/upload/stage does not take GET.', suggested_remedy: 'Use POST (with a JSON body).' }]);
    const del = await raw(api('ping/'), { method: 'DELETE' });
    expect([del.status, del.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST']);
    const data = await raw(api('upload/1/data'), { method: 'POST', headers: { Authorization: auth } });
    expect([data.status, data.headers.get('allow'), data.body.reason]).toEqual([405, 'PUT', '/api/v2/upload/1/data does not take POST.']);
    const doc = await raw(api('openapi.json'), { method: 'POST' });
    expect([doc.status, doc.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const options = await fetch(api('users/create'), { method: 'OPTIONS' });
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'POST']);
    // Unknown paths stay 404.
    const unknown = await raw(api('upload/nothing'), { method: 'GET' });
    expect([unknown.status, unknown.body.reason]).toEqual([404, 'No endpoint GET /api/v2/upload/nothing.']);
  });

  test('the document shows the limits, and what v2 clients send is taken', async () => {
    const doc = (await (await fetch(api('openapi.json'))).json()) as { paths: Record<string, { post: { requestBody: { content: { 'application/json': { schema: { properties: Record<string, Record<string, unknown>> } } } } } }> };
    const request = (p: string) => doc.paths[`/api/v2/${p}`]!.post.requestBody.content['application/json'].schema.properties;
    expect(request('upload/stage').destination_location).toMatchObject({ type: 'string', minLength: 1, maxLength: 512 });
    expect(request('upload/stage').upload_name).toMatchObject({ maxLength: 255 });
    // Optional: declared at stage or with the commit.
    for (const endpoint of ['upload/stage', 'upload/commit']) {
      expect(request(endpoint).upload_checksum).toMatchObject({ anyOf: [{ pattern: expect.stringContaining('sha256:::[0-9a-fA-F]{64}') }, { type: 'null' }] });
    }
    expect(request('users/create').permission).toMatchObject({ anyOf: [{ enum: [0, 1, 2, 3, 4, 100] }, { type: 'string', pattern: expect.any(String) }] });

    const admin = lib.client();
    // Permission as v2's integer or as a name in any case; transfer statuses the same.
    await admin.post('users/create', { username: 'v2-level', password: 'v2-level-password', permission: 3 });
    await admin.post('users/update', { username: 'v2-level', permission: 'readWrite' });
    expect(await admin.post('users/get', { username: 'v2-level' })).toEqual({ username: 'v2-level', permission: 4, permission_name: 'READWRITE' });
    const superuser = await apiError(admin.post('users/update', { username: 'v2-level', permission: 'SUPERUSER' }));
    expect([superuser.status, superuser.reason]).toEqual([
      400,
      'The request body is not valid: permission: unknown permission "SUPERUSER"; use one of NONE (0), READONLY (1), CALLBACK (2), READAPPEND (3), READWRITE (4), ADMIN (100).',
    ]);
    for (const status of [4, 'failed', 'FAILED']) {
      expect(await admin.post('checkin/update', { source_transfer_ids: [], destination_transfer_ids: [], new_status: status })).toMatchObject({ modified_destination_transfer_ids: [] });
    }
    const six = await apiError(admin.post('checkin/update', { destination_transfer_ids: [], new_status: 6 }));
    expect([six.status, six.reason]).toEqual([
      400,
      'The request body is not valid: new_status: unknown transfer status 6; use one of INITIATED (0), ONGOING (1), STAGED (2), COMPLETED (3), FAILED (4), CANCELLED (5).',
    ]);
    // A checksum v2 holds (bare md5) passes; one that is not a checksum is refused with the checksum's own reason.
    const bare = await apiError(admin.post('upload/stage', body({ upload_checksum: '0'.repeat(32), destination_location: 'long/..' })));
    expect(bare.reason).toBe('The destination path "long/.." is not a clean relative path.');
    const crc = await apiError(admin.post('upload/stage', body({ upload_checksum: 'crc:::00' })));
    expect([crc.status, crc.reason]).toEqual([400, 'Unknown checksum algorithm "crc"; accepted algorithms: xxh3, md5, sha1, sha256, sha512.']);
  });

  test('ids beyond 32 bits and text with NUL are 400, not a 500 from PostgreSQL', async () => {
    const admin = lib.client();
    const big = await apiError(admin.post('checkin/status', { destination_transfer_ids: [9_007_199_254_740_990] }));
    expect([big.status, big.reason]).toEqual([400, 'The request body is not valid: destination_transfer_ids.0: Too big: expected number to be <=2147483647.']);
    expect((await apiError(admin.post('upload/status', { transfer_id: 2 ** 31 }))).status).toBe(400);
    const path = await apiError(admin.put(`upload/${2 ** 31}/data`, (async function* () {})(), {}));
    expect([path.status, path.reason]).toEqual([400, '"2147483648" is not a transfer id.']);
    const nul = await apiError(admin.post('admin/stores/check', { store_name: 'ma\0in' }));
    expect([nul.status, nul.reason]).toEqual([400, 'The request body holds a NUL character (U+0000) in store_name.']);
    const login = await raw(api('ping/logged'), { method: 'POST', headers: { Authorization: basic('ad\0min', 'x'), 'Content-Type': 'application/json' }, body: '{}' });
    expect([login.status, login.body.reason]).toEqual([401, 'The Authorization header is not valid HTTP Basic.']);
  });
});
