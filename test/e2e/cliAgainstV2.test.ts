/**
 * This CLI against a Librarian v2 (SO 5.0.1) server. The server is a stand-in that validates
 * requests as v2's pydantic models do (required fields, integer levels, a string deletion
 * policy; 422 with FastAPI's `detail` list otherwise), ignores fields it does not know (such as
 * name_prefix) and answers in v2's shapes (wire-v2.md §2): ping without librarian_name, search
 * results without store names, an empty body on a successful commit, no HTTP upload.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../support/cli';
import { standInServer, type StandInCall } from '../support/http';
import { checksumOf, makeFile, tmpDir } from '../support/data';

type Call = StandInCall;

const REQUIRED: Record<string, string[]> = {
  'upload/stage': ['upload_size', 'upload_checksum', 'upload_name', 'destination_location', 'uploader'],
  'upload/commit': ['store_name', 'staging_name', 'staging_location', 'upload_name', 'destination_location', 'transfer_provider_name', 'transfer_provider', 'meta_mode', 'deletion_policy', 'uploader', 'transfer_id'],
  'users/create': ['username', 'password', 'permission'],
};

const calls: Call[] = [];
const files: { name: string; checksum: string; size: number }[] = [{ name: 'other/newest.dat', checksum: 'xxh3:::00', size: 1 }];
const staging = tmpDir('v2-server-staging-');
const store = tmpDir('v2-server-store-');
let server: http.Server;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = standInServer(calls, async (endpoint, body, reply) => {
    const missing = (REQUIRED[endpoint] ?? []).filter((k) => body[k] === undefined || body[k] === null);
    if (missing.length) return reply(422, { detail: missing.map((k) => ({ type: 'missing', loc: ['body', k], msg: 'Field required', input: body })) });
    switch (endpoint) {
      case 'ping/':
      case 'ping/logged':
        return reply(200, { name: 'SO site', description: 'v2 server' });
      case 'search/file': {
        // At most max_results, capped at its max_search_results (64 by default), and never a cursor.
        const found = files.filter((f) => body.name === undefined || body.name === null || f.name === body.name).slice(0, Math.max(Math.min(body.max_results ?? 64, 64), 0));
        if (!found.length) return reply(404, { reason: 'No files found.', suggested_remedy: 'x' });
        return reply(200, found.map((f) => ({ ...f, create_time: '2026-11-30T22:20:34.179729', uploader: 'u', source: 'u', instances: [{ path: `/store/${f.name}`, deletion_policy: 0, created_time: '2026-11-30T22:20:34', available: true, id: null, file_name: null, store_id: 1 }], remote_instances: [] })));
      }
      case 'upload/stage': {
        const name = `uuid-${calls.length}`;
        mkdirSync(path.join(staging, name), { recursive: true });
        return reply(201, {
          available_bytes_on_store: 1e12,
          store_name: 'store',
          staging_name: name,
          staging_location: path.join(staging, name, body.upload_name),
          upload_name: body.upload_name,
          destination_location: body.destination_location,
          transfer_providers: { local: { hostnames: [os.hostname()] } },
          transfer_id: 42,
        });
      }
      case 'upload/commit': {
        if (typeof body.deletion_policy !== 'string') return reply(422, { detail: [{ type: 'string_type', loc: ['body', 'deletion_policy'], msg: 'Input should be a valid string' }] });
        const stage = calls.filter((c) => c.endpoint === 'upload/stage' && c.body.upload_checksum !== undefined).at(-1)!.body;
        const got = await checksumOf(body.staging_location);
        if (got.checksum !== stage.upload_checksum) return reply(406, { reason: 'File does not have a valid checksum or size', suggested_remedy: 'x' });
        mkdirSync(path.dirname(path.join(store, body.destination_location)), { recursive: true });
        renameSync(body.staging_location, path.join(store, body.destination_location));
        files.unshift({ name: body.destination_location, checksum: got.checksum, size: got.size });
        return reply(200);
      }
      case 'users/delete':
        // An unknown user: 400 in the answer's own shape, no reason (wire-v2.md §2.6 #19).
        return body.username === 'bob' ? reply(200, { success: true, username: body.username }) : reply(400, { success: false, username: body.username });
      case 'users/update':
        // v2 answers an unknown user with 200 and success false (wire-v2.md §2.6 #18).
        return reply(200, { success: body.username === 'bob', username: body.username });
      case 'admin/stores/list':
        return reply(200, [{ name: 'store', store_type: 'local', free_space: 5_000_000_000, ingestable: true, available: true, enabled: true }, { name: 'gone', store_type: 'local', free_space: -1, ingestable: false, available: false, enabled: false }]);
      case 'admin/stores/state_change':
        if (body.store_name !== 'store') return reply(400, { reason: `Store ${body.store_name} does not exist.`, suggested_remedy: 'Check the store name.' });
        return reply(200, { store_name: body.store_name, enabled: body.enabled, success: true });
      case 'users/create':
        if (typeof body.permission !== 'number') return reply(422, { detail: [{ type: 'enum', loc: ['body', 'permission'], msg: 'Input should be 0, 1, 2, 3, 4 or 100' }] });
        return reply(201, { success: true, username: body.username });
      default:
        return reply(404, { detail: 'Not Found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const connections = path.join(tmpDir('v2-cli-'), 'connections.json');
  writeFileSync(connections, JSON.stringify({ connections: {} }));
  env = { LIBRARIAN_CLIENT_CONFIG: connections, LIBRARIAN_CONNECTION: undefined, LIBRARIAN_CONFIG: undefined };
});
afterAll(() => server.close());

test('connections add and ping say it is a v2 server, never "undefined"', async () => {
  const port = (server.address() as AddressInfo).port;
  const add = await runCli(['connections', 'add', 'so', '--host', '127.0.0.1', '--port', String(port), '--user', 'admin', '--password', 'pw', '--default'], { env });
  expect(add.status).toBe(0);
  expect(add.stdout).toContain('Reached "SO site" at http://127.0.0.1:');
  expect(add.stdout).toContain('a Librarian v2 server');
  // Remembered, so commands that must know need not ask again.
  expect(JSON.parse(readFileSync(env.LIBRARIAN_CLIENT_CONFIG!, 'utf8')).connections.so).toMatchObject({ v2: true });
  expect(JSON.parse(readFileSync(env.LIBRARIAN_CLIENT_CONFIG!, 'utf8')).connections.so.librarianName).toBeUndefined();
  const ping = await runCli(['ping'], { env });
  expect([ping.status, ping.stdout]).toEqual([0, expect.stringMatching(/^SO site \(a Librarian v2 server: it does not say its name\) at http:\/\/127\.0\.0\.1:\d+ answered in \d+ ms\.\n$/)]);
  expect(ping.stdout).not.toContain('undefined');
});

test('search: exact names work; --name-prefix, which v2 ignores, is refused instead of answering everything', async () => {
  const exact = await runCli(['search', '--name', 'other/newest.dat', '--json'], { env });
  expect(exact.status).toBe(0);
  expect(exact.json<{ name: string }[]>().map((f) => f.name)).toEqual(['other/newest.dat']);
  const table = await runCli(['search', '--name', 'other/newest.dat'], { env });
  expect(table.stdout).toContain('store 1');
  // Refused before searching: the connection is known to reach a v2 server.
  const searches = () => calls.filter((c) => c.endpoint === 'search/file').length;
  const before = searches();
  const prefix = await runCli(['search', '--name-prefix', 'obs/'], { env });
  expect([prefix.status, prefix.stderr]).toEqual([1, expect.stringContaining('is a Librarian v2 server, which ignores --name-prefix')]);
  expect(searches()).toBe(before);
  // A connection added without a check: its ping tells, still before any search.
  const port = (server.address() as AddressInfo).port;
  expect((await runCli(['connections', 'add', 'so-unchecked', '--host', '127.0.0.1', '--port', String(port), '--user', 'admin', '--password', 'pw', '--no-check'], { env })).status).toBe(0);
  const pings = calls.filter((c) => c.endpoint === 'ping/logged').length;
  const unchecked = await runCli(['search', '--name-prefix', 'obs/', '-c', 'so-unchecked'], { env });
  expect([unchecked.status, unchecked.stderr]).toEqual([1, expect.stringContaining('is a Librarian v2 server, which ignores --name-prefix')]);
  expect([calls.filter((c) => c.endpoint === 'ping/logged').length, searches()]).toEqual([pings + 1, before]);
});

test('search --all: v2 has no cursor, so a full page (64 by default) is printed with a warning that the list may be incomplete, and exit status 1', async () => {
  const bulk = Array.from({ length: 70 }, (_, i) => ({ name: `bulk/${String(i).padStart(3, '0')}.dat`, checksum: 'xxh3:::01', size: 2 }));
  files.push(...bulk);
  try {
    const all = await runCli(['search', '--all', '--json'], { env });
    expect(all.status).toBe(1);
    expect(all.json<unknown[]>()).toHaveLength(64);
    expect(all.stderr).toMatch(/^Warning: the list may be incomplete\. http:\/\/127\.0\.0\.1:\d+ is a Librarian v2 server, which cannot page \(it sends no cursor\) and answers at most 64 files per search by default; it answered 64\. Narrow the search \(--name, --uploader, --source, --since\/--until\), e\.g\. --until 2026-11-30T22:20:34\.179729 for the older ones\.\n/);
    // A smaller page asked for and filled: the same; a page that is not full is all there is.
    expect((await runCli(['search', '--all', '--limit', '10'], { env })).status).toBe(1);
    const one = await runCli(['search', '--all', '--name', 'bulk/007.dat'], { env });
    expect([one.status, one.stderr]).toEqual([0, '']);
    expect(one.stdout).toContain('bulk/007.dat');
  } finally {
    files.splice(files.length - bulk.length, bulk.length);
  }
});

test('upload: staged with an uploader, copied into staging, committed with every field v2 requires', async () => {
  const local = makeFile(path.join(tmpDir('v2-up-'), 'data.bin'), 300_000);
  const { checksum } = await checksumOf(local);
  const up = await runCli(['upload', local, 'obs/v2/data.bin', '--deletion', 'allowed'], { env });
  expect([up.status, up.stderr]).toEqual([0, expect.any(String)]);
  expect(up.stdout).toContain('Uploaded');
  expect(up.stdout).not.toContain('undefined');
  expect(calls.find((c) => c.endpoint === 'upload/stage')!.body).toMatchObject({ uploader: 'admin', destination_location: 'obs/v2/data.bin' });
  expect(calls.find((c) => c.endpoint === 'upload/commit')!.body).toMatchObject({ transfer_id: 42, store_name: 'store', transfer_provider_name: 'local', meta_mode: 'infer', deletion_policy: 'allowed', uploader: 'admin' });
  expect(readFileSync(path.join(store, 'obs/v2/data.bin'))).toEqual(readFileSync(local));
  expect(files[0]).toMatchObject({ name: 'obs/v2/data.bin', checksum });
  // No HTTP upload on v2: said plainly.
  const viaHttp = await runCli(['upload', local, 'obs/v2/again.bin', '--via', 'http'], { env });
  expect(viaHttp.status).not.toBe(0);
  expect(viaHttp.stderr).toContain('a Librarian v2 server has no HTTP upload');
});

test('upload --via copy: v2 refuses a stage without the checksum (422), so the CLI hashes first and stages with it; the commit declares nothing', async () => {
  const local = makeFile(path.join(tmpDir('v2-up-copy-'), 'data.bin'), 200_000);
  const { checksum } = await checksumOf(local);
  const before = calls.length;
  const up = await runCli(['upload', local, 'obs/v2/copied.bin', '--via', 'copy'], { env });
  expect([up.status, up.stderr]).toEqual([0, expect.any(String)]);
  expect(up.stdout).toContain('via copy');
  const mine = calls.slice(before).filter((c) => c.endpoint.startsWith('upload/'));
  expect(mine.map((c) => [c.endpoint, c.body.upload_checksum])).toEqual([
    ['upload/stage', undefined],
    ['upload/stage', checksum],
    ['upload/commit', undefined],
  ]);
  expect(readFileSync(path.join(store, 'obs/v2/copied.bin'))).toEqual(readFileSync(local));
  expect(files[0]).toMatchObject({ name: 'obs/v2/copied.bin', checksum });
});

test('users create sends the level as the number v2 accepts; a 422 shows FastAPI\'s detail', async () => {
  const created = await runCli(['users', 'create', 'bob', '--level', 'READONLY'], { env });
  expect(created.status).toBe(0);
  expect(calls.filter((c) => c.endpoint === 'users/create').map((c) => c.body.permission)).toEqual([1]);
  const before = calls.length;
  // A body v2 refuses: its detail list is what the user reads.
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v2/users/create`, { method: 'POST', body: '{}' });
  expect(res.status).toBe(422);
  const { failureOf } = await import('../../src/protocol/client');
  expect(failureOf(await res.json()).reason).toBe('body.username: Field required; body.password: Field required; body.permission: Field required');
  expect(calls.length).toBe(before + 1);
});

test('users update|delete and stores list/disable against v2: its answers read right, its 200 "success: false" is an error, and what it lacks is said', async () => {
  const updated = await runCli(['users', 'update', 'bob', '--level', 'READAPPEND'], { env });
  expect([updated.status, updated.stdout]).toEqual([0, 'User "bob" is now READAPPEND.\n']);
  expect(calls.filter((c) => c.endpoint === 'users/update').map((c) => c.body)).toEqual([{ username: 'bob', permission: 3 }]);
  const unknown = await runCli(['users', 'update', 'nobody', '--level', 'READONLY'], { env });
  expect([unknown.status, unknown.stderr]).toEqual([1, expect.stringContaining('No user is named "nobody"')]);

  const list = await runCli(['stores', 'list', '--json'], { env });
  expect(list.status).toBe(0);
  expect(list.json<{ name: string; free_space: number }[]>().map((s) => [s.name, s.free_space])).toEqual([['store', 5_000_000_000], ['gone', -1]]);
  const table = await runCli(['stores', 'list'], { env });
  expect(table.stdout).toMatch(/gone\s+local\s+unmounted/);
  expect(table.stdout).not.toContain('undefined');
  const disabled = await runCli(['stores', 'disable', 'store'], { env });
  expect(disabled.status).toBe(0);
  const missing = await runCli(['stores', 'disable', 'nope'], { env });
  expect([missing.status, missing.stderr]).toEqual([1, expect.stringContaining('Store nope does not exist.')]);

  // users delete: v2's 400 for an unknown user has neither reason nor detail: said, not "Bad Request".
  const gone = await runCli(['users', 'delete', 'nobody'], { env });
  expect([gone.status, gone.stderr]).toEqual([1, expect.stringMatching(/did not delete "nobody" and gave no reason \(400, success: false\); a Librarian v2 server answers so when no user has that name/)]);
  expect(gone.stderr).not.toContain('Bad Request');
  expect(await runCli(['users', 'delete', 'bob'], { env })).toMatchObject({ status: 0, stdout: 'Deleted user "bob".\n' });
  expect(calls.filter((c) => c.endpoint === 'users/delete').map((c) => c.body)).toEqual([{ username: 'nobody' }, { username: 'bob' }]);

  // v2 has no users/list: said as such, not as a bare "Not Found".
  const users = await runCli(['users', 'list'], { env });
  expect([users.status, users.stderr]).toEqual([1, expect.stringMatching(/has no endpoint http:\/\/127\.0\.0\.1:\d+\/api\/v2\/users\/list: a Librarian v2 server lacks it/)]);
});
