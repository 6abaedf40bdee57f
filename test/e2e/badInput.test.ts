/**
 * Bad input gets a 4xx with the usual error body, never a 500 (issue 14): bodies the server
 * cannot read, absurd credentials. Real API and worker, HTTP.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { closeChecksums } from '../support/data';
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
  let auth: string;
  const api = (p: string) => `${lib.url}/api/v2/${p}`;

  beforeAll(async () => {
    lib = await startLibrarian({ provider });
    auth = basic(lib.admin.username, lib.admin.password);
  });
  afterAll(async () => {
    await stopAllLibrarians();
    await closeChecksums();
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
});
