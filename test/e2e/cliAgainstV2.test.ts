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
        const found = files.filter((f) => body.name === undefined || body.name === null || f.name === body.name);
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
        const stage = calls.find((c) => c.endpoint === 'upload/stage')!.body;
        const got = await checksumOf(body.staging_location);
        if (got.checksum !== stage.upload_checksum) return reply(406, { reason: 'File does not have a valid checksum or size', suggested_remedy: 'x' });
        mkdirSync(path.dirname(path.join(store, body.destination_location)), { recursive: true });
        renameSync(body.staging_location, path.join(store, body.destination_location));
        files.unshift({ name: body.destination_location, checksum: got.checksum, size: got.size });
        return reply(200);
      }
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
  const prefix = await runCli(['search', '--name-prefix', 'obs/'], { env });
  expect(prefix.status).not.toBe(0);
  expect(prefix.stderr).toContain('ignores --name-prefix');
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

test('users update and stores list/disable against v2: its answers read right, its 200 "success: false" is an error, and what it lacks is said', async () => {
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

  // v2 has no users/list: said as such, not as a bare "Not Found".
  const users = await runCli(['users', 'list'], { env });
  expect([users.status, users.stderr]).toEqual([1, expect.stringMatching(/has no endpoint http:\/\/127\.0\.0\.1:\d+\/api\/v2\/users\/list: a Librarian v2 server lacks it/)]);
});
