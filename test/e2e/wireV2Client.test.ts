/**
 * Contract tests: requests exactly as the v2 Python client (hera_librarian 5.0.1) serialises them
 * (every model field, unset ones as explicit nulls, enums as it sends them; wire-v2.md §2), sent
 * over HTTP to a real Librarian, and the answers checked for what that client reads: the fields
 * its response models require and the statuses and reasons it tells apart (§1.5).
 */
import { cpSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeFile, checksumOf, tmpDir } from '../support/data';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';

interface Answer {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe.each(PROVIDERS)('the v2 Python client against this server, on %s', (provider) => {
  let lib: LibrarianHandle;
  let v2: (endpoint: string, body?: unknown, auth?: string) => Promise<Answer>;

  beforeAll(async () => {
    lib = await startLibrarian({ provider });
    v2 = async (endpoint, body, auth = `${lib.admin.username}:${lib.admin.password}`) => {
      // As the client does: POST, JSON from model_dump_json(), preemptive Basic auth.
      const res = await fetch(`${lib.url}/api/v2/${endpoint}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(auth).toString('base64')}` },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    };
  });
  afterAll(stopAllLibrarians);

  /** The client's upload(): stage, copy into staging_location by the "local" provider, commit. */
  async function upload(dest: string, deletionPolicy: '0' | '1', size = 4096) {
    const local = makeFile(path.join(tmpDir('v2-upload-'), path.basename(dest)), size);
    const { checksum } = await checksumOf(local);
    const staged = await v2('upload/stage', { upload_size: size, upload_checksum: checksum, upload_name: path.basename(dest), destination_location: dest, uploader: 'admin' });
    expect(staged.status).toBe(201);
    const s = staged.body;
    // UploadInitiationResponse, every field the client's model requires.
    expect(s).toMatchObject({
      available_bytes_on_store: expect.any(Number),
      store_name: 'main',
      staging_name: expect.any(String),
      staging_location: expect.stringMatching(/^\//),
      upload_name: path.basename(dest),
      destination_location: dest,
      transfer_id: expect.any(Number),
    });
    // The client copies only through a provider listing its own host name.
    const [providerName, provider] = Object.entries(s.transfer_providers as Record<string, { hostnames: string[] }>).find(([, p]) => p.hostnames?.includes(os.hostname()))!;
    expect(providerName).toBe('local');
    cpSync(local, s.staging_location);
    const commit = await v2('upload/commit', {
      store_name: s.store_name,
      staging_name: s.staging_name,
      staging_location: s.staging_location,
      upload_name: s.upload_name,
      destination_location: dest,
      transfer_provider_name: providerName,
      transfer_provider: provider,
      meta_mode: 'infer',
      deletion_policy: deletionPolicy,
      uploader: 'admin',
      null_obsid: true,
      transfer_id: s.transfer_id,
    });
    expect([commit.status, commit.body?.reason]).toEqual([200, undefined]);
    return { checksum, size };
  }

  test('upload with the client\'s deletion policy strings "1" and "0" (the v2 server made both DISALLOWED)', async () => {
    const allowed = await upload('v2/allowed.dat', '1');
    await upload('v2/kept.dat', '0');
    const svc = await lib.domain();
    const rows = await svc.db.instance.findMany({ where: { fileName: { in: ['v2/allowed.dat', 'v2/kept.dat'] } }, orderBy: { fileName: 'asc' } });
    expect(rows.map((r) => [r.fileName, r.deletionPolicy])).toEqual([
      ['v2/allowed.dat', 'ALLOWED'],
      ['v2/kept.dat', 'DISALLOWED'],
    ]);
    expect((await svc.db.file.findUniqueOrThrow({ where: { name: 'v2/allowed.dat' } })).checksum).toBe(allowed.checksum);
    // A value the client never sends is refused, not guessed.
    const odd = await v2('upload/commit', { transfer_id: 1, deletion_policy: 'maybe' });
    expect(odd.status).toBe(400);
    expect(odd.body.reason).toContain('"maybe" is not a deletion policy');
  });

  test('search_files with explicit nulls; the fields peers read; "No files found." makes the client answer []', async () => {
    const { checksum, size } = await upload('v2/search/one.dat', '1', 1234);
    const found = await v2('search/file', { name: 'v2/search/one.dat', create_time_window: null, uploader: null, source: null, max_results: 64 });
    expect(found.status).toBe(200);
    expect(found.body).toEqual([
      expect.objectContaining({
        name: 'v2/search/one.dat',
        create_time: expect.any(String),
        size,
        checksum,
        uploader: 'admin',
        source: 'admin',
        instances: [expect.objectContaining({ path: expect.stringMatching(/\/v2\/search\/one\.dat$/), deletion_policy: 1, created_time: expect.any(String), available: true, store_id: expect.any(Number) })],
        remote_instances: [],
      }),
    ]);
    const window = await v2('search/file', { name: null, create_time_window: ['2020-01-01T00:00:00Z', '2999-01-01T00:00:00'], uploader: 'admin', source: null, max_results: 1 });
    expect([window.status, window.body.length]).toEqual([200, 1]);
    const none = await v2('search/file', { name: 'v2/no-such-file', create_time_window: null, uploader: null, source: null, max_results: 64 });
    expect([none.status, none.body.reason]).toEqual([404, 'No files found.']);
  });

  test('search/instance_local and instance_remote, filters as the models define them', async () => {
    await upload('v2/inst/a.dat', '1');
    const all = await v2('search/instance_local', { id: null, path: null, deletion_policy: 'ALLOWED', created_time: null, file_name: 'v2/inst/a.dat', store_id: null, available: null, max_results: 64 });
    expect(all.status).toBe(200);
    expect(all.body).toEqual([
      expect.objectContaining({ id: expect.any(Number), path: expect.stringMatching(/^\/.*\/v2\/inst\/a\.dat$/), file_name: 'v2/inst/a.dat', store_id: expect.any(Number), deletion_policy: 1, created_time: expect.any(String), available: true }),
    ]);
    // The absolute path search/file shows finds the same instance.
    const byPath = await v2('search/instance_local', { id: null, path: all.body[0].path, deletion_policy: null, created_time: null, file_name: null, store_id: null, available: null, max_results: 64 });
    expect(byPath.body.map((i: { id: number }) => i.id)).toEqual([all.body[0].id]);
    const other = await v2('search/instance_local', { id: null, path: null, deletion_policy: 'DISALLOWED', created_time: null, file_name: 'v2/inst/a.dat', store_id: null, available: null, max_results: 64 });
    expect([other.status, other.body.reason]).toEqual([404, 'No instances found.']);
    const remote = await v2('search/instance_remote', { id: null, file_name: 'v2/inst/a.dat', store_id: null, librarian_id: null, copy_time: null, sender: null, max_results: 64 });
    expect([remote.status, remote.body.reason]).toEqual([404, 'No instances found.']);
  });

  test('users: create with an integer level, update with a null password, and the 400s the client tells apart', async () => {
    expect(await v2('users/create', { username: 'v2-user', password: 'v2-password', permission: 1 })).toEqual({ status: 201, body: { success: true, username: 'v2-user' } });
    const dup = await v2('users/create', { username: 'v2-user', password: 'another-password', permission: 1 });
    expect(dup.status).toBe(400);
    expect(dup.body.reason).toContain('User already exists');
    expect(await v2('users/update', { username: 'v2-user', password: null, permission: 3 })).toEqual({ status: 200, body: { success: true, username: 'v2-user' } });
    expect((await v2('users/get', { username: 'v2-user' })).body).toMatchObject({ username: 'v2-user', permission: 3 });
    // The password was kept: the user still logs in with it.
    expect((await v2('ping/logged', {}, 'v2-user:v2-password')).status).toBe(200);
    for (const [endpoint, body] of [
      ['users/update', { username: 'ghost', password: null, permission: 1 }],
      ['users/get', { username: 'ghost' }],
      ['users/delete', { username: 'ghost' }],
    ] as const) {
      const r = await v2(endpoint, body);
      expect([endpoint, r.status, r.body.reason]).toEqual([endpoint, 400, expect.stringContaining('User not found')]);
    }
  });

  test('stores: list without a body, state_change and manifest with the "Store" 400s', async () => {
    const list = await v2('admin/stores/list');
    expect(list.status).toBe(200);
    expect(list.body).toEqual([expect.objectContaining({ name: 'main', store_type: 'local', free_space: expect.any(Number), ingestable: true, available: true, enabled: true })]);
    const unknown = await v2('admin/stores/state_change', { store_name: 'nope', enabled: false });
    expect([unknown.status, unknown.body.reason]).toEqual([400, 'Store "nope" does not exist.']);

    await upload('v2/manifest/m.dat', '0', 100);
    const manifest = await v2('admin/stores/manifest', { store_name: 'main', create_outgoing_transfers: false, destination_librarian: '', disable_store: false, mark_local_instances_as_unavailable: false });
    expect(manifest.status).toBe(200);
    expect(manifest.body).toMatchObject({ librarian_name: lib.name, store_name: 'main' });
    expect(manifest.body.store_files.find((f: { name: string }) => f.name === 'v2/manifest/m.dat')).toEqual({
      name: 'v2/manifest/m.dat',
      create_time: expect.any(String),
      size: 100,
      checksum: expect.stringMatching(/^xxh3:::/),
      uploader: 'admin',
      source: 'admin',
      instance_path: 'v2/manifest/m.dat',
      deletion_policy: 0,
      instance_create_time: expect.any(String),
      instance_available: true,
      outgoing_transfer_id: -1,
    });
    const noStore = await v2('admin/stores/manifest', { store_name: 'nope', create_outgoing_transfers: false, destination_librarian: '', disable_store: false, mark_local_instances_as_unavailable: false });
    expect([noStore.status, noStore.body.reason]).toEqual([400, 'Store "nope" does not exist.']);
    // Copies out of use with no transfer recorded would be lost track of: refused, nothing changed.
    const unsafe = await v2('admin/stores/manifest', { store_name: 'main', create_outgoing_transfers: false, destination_librarian: '', disable_store: true, mark_local_instances_as_unavailable: true });
    expect(unsafe.status).toBe(400);
    expect(unsafe.body.reason).toContain('mark_local_instances_as_unavailable needs create_outgoing_transfers');
    const svc = await lib.domain();
    expect((await svc.db.store.findUniqueOrThrow({ where: { name: 'main' } })).enabled).toBe(true);
    expect(await svc.db.instance.count({ where: { available: false } })).toBe(0);
  });

  test('peers: the "Librarian" 400s, and transfer_status/set (where the client posts) works like change', async () => {
    const remove = await v2('admin/librarians/remove', { librarian_name: 'nobody', remove_outgoing_transfers: false });
    expect(remove.status).toBe(400);
    expect(remove.body.reason).toMatch(/Librarian.*does not exist/);
    for (const verb of ['set', 'change']) {
      const r = await v2(`admin/librarians/transfer_status/${verb}`, { librarian_name: 'nobody', transfers_enabled: false });
      expect([verb, r.status, r.body.reason]).toEqual([verb, 400, 'Librarian "nobody" does not exist.']);
    }
    const del = await v2('admin/instance/delete_remote', { instance_id: 999999, delete_file: false });
    expect(del.status).toBe(400);
    expect(del.body).toMatchObject({ success: false, instance_id: 999999, reason: expect.stringContaining('Instance does not exist') });
  });

  test('administration answers as the client reads them: users, add_file, peers, remote and local instances', async () => {
    // users/delete and users/password_update (on the caller's own account, old password checked here).
    expect((await v2('users/create', { username: 'v2-gone', password: 'gone-password', permission: 1 })).status).toBe(201);
    expect(await v2('users/delete', { username: 'v2-gone' })).toEqual({ status: 200, body: { success: true, username: 'v2-gone' } });
    expect((await v2('ping/logged', {}, 'v2-gone:gone-password')).status).toBe(401);
    expect((await v2('users/create', { username: 'v2-pw', password: 'old-password', permission: 1 })).status).toBe(201);
    expect(await v2('users/password_update', { password: 'old-password', new_password: 'new-password' }, 'v2-pw:old-password')).toEqual({ status: 200, body: { success: true, username: 'v2-pw' } });
    expect((await v2('ping/logged', {}, 'v2-pw:new-password')).status).toBe(200);
    expect((await v2('ping/logged', {}, 'v2-pw:old-password')).status).toBe(401);

    // admin/add_file: every field the client's model requires; the file is in the store already.
    const storeRoot = path.join(lib.dir, 'stores/main/store');
    const data = makeFile(path.join(storeRoot, 'v2/added/x.dat'), 2048);
    const { checksum } = await checksumOf(data);
    const add = { name: 'v2/added/x.dat', create_time: '2024-05-01T12:00:00', size: 2048, checksum, uploader: 'v2-uploader', source: 'admin', path: data, store_name: 'main' };
    expect(await v2('admin/add_file', add)).toEqual({ status: 200, body: { already_exists: false, file_exists: true, success: true } });
    expect(await v2('admin/add_file', add)).toEqual({ status: 200, body: { already_exists: true, file_exists: false, success: true } });
    const svc = await lib.domain();
    const file = await svc.db.file.findUniqueOrThrow({ where: { name: 'v2/added/x.dat' }, include: { instances: true } });
    expect([file.size, file.checksum, file.uploader, file.createTime.toISOString()]).toEqual([2048n, checksum, 'v2-uploader', '2024-05-01T12:00:00.000Z']);
    expect(file.instances.map((i) => [i.path, i.available])).toEqual([['v2/added/x.dat', true]]);
    const noStore = await v2('admin/add_file', { ...add, store_name: 'nope' });
    expect([noStore.status, noStore.body.reason]).toEqual([400, expect.stringContaining('nope')]);

    // Peers: add without checking the connection, list without pinging (available null), as the client sends them.
    expect(await v2('admin/librarians/add', { librarian_name: 'v2-peer', url: 'http://127.0.0.1', port: 9, authenticator: 'u:p', check_connection: false })).toEqual({
      status: 200,
      body: expect.objectContaining({ success: true, already_exists: false, ping_success: null }),
    });
    const listed = await v2('admin/librarians/list', { ping: false });
    expect(listed.status).toBe(200);
    expect(listed.body.librarians).toEqual([expect.objectContaining({ name: 'v2-peer', url: 'http://127.0.0.1', port: 9, available: null, enabled: true })]);

    // A copy recorded at that peer: search/instance_remote finds it with the fields its model has.
    const peer = await svc.db.librarian.findUniqueOrThrow({ where: { name: 'v2-peer' } });
    const remote = await svc.db.remoteInstance.create({ data: { fileName: 'v2/added/x.dat', librarianId: peer.id, storeId: 7, sender: lib.name } });
    const found = await v2('search/instance_remote', { id: null, file_name: 'v2/added/x.dat', store_id: null, librarian_id: null, copy_time: null, sender: null, max_results: 64 });
    expect(found).toEqual({ status: 200, body: [{ id: remote.id, file_name: 'v2/added/x.dat', store_id: 7, librarian_name: 'v2-peer', copy_time: expect.any(String), sender: lib.name }] });

    // delete_local without delete_file: the row goes (the copy at the peer is another), the data stays.
    const local = file.instances[0]!;
    expect(await v2('admin/instance/delete_local', { instance_id: local.id, delete_file: null })).toEqual({ status: 200, body: { success: true, instance_id: local.id } });
    expect(await svc.db.instance.findUnique({ where: { id: local.id } })).toBeNull();
    expect(readFileSync(data).length).toBe(2048);
    // The copy at the peer is now the only one: forgetting it is allowed (it is a record), removing the peer then too.
    expect(await v2('admin/instance/delete_remote', { instance_id: remote.id, delete_file: false })).toEqual({ status: 200, body: { success: true, instance_id: remote.id } });
    expect(await svc.db.remoteInstance.findUnique({ where: { id: remote.id } })).toBeNull();
    expect(await v2('admin/librarians/remove', { librarian_name: 'v2-peer', remove_outgoing_transfers: false })).toEqual({
      status: 200,
      body: expect.objectContaining({ success: true, number_of_transfers_removed: 0 }),
    });
    expect(await svc.db.librarian.findUnique({ where: { name: 'v2-peer' } })).toBeNull();
  });

  test('search_errors and clear_error: alerts are recorded; the exact reasons the client matches', async () => {
    const { checksum } = await upload('v2/errors/lost.dat', '0', 512);
    const svc = await lib.domain();
    const inst = await svc.db.instance.findFirstOrThrow({ where: { fileName: 'v2/errors/lost.dat' } });
    rmSync(path.join(lib.dir, 'stores/main/store', inst.path));
    // As v2 answers for data missing on disk: no item (its model has no nulls for the current
    // checksum and size); the loss is recorded and alerted all the same.
    const validated = await v2('validate/file', { file_name: 'v2/errors/lost.dat' });
    expect(validated).toEqual({ status: 200, body: [] });
    const ours = await v2('validate/file', { file_name: 'v2/errors/lost.dat', force: false });
    expect(ours.body).toEqual([expect.objectContaining({ original_checksum: checksum, computed_same_checksum: false, current_checksum: null, current_size: null })]);

    const query = { id: null, category: 'data_availability', severity: null, create_time_window: null, include_resolved: false, max_results: 64 };
    const found = await v2('search/error', query);
    expect(found.status).toBe(200);
    expect(found.body).toEqual([
      {
        id: expect.any(Number),
        severity: 'error',
        category: 'data_availability',
        message: expect.stringContaining('v2/errors/lost.dat'),
        raised_time: expect.any(String),
        cleared_time: null,
        cleared: false,
        caller: 'audit',
      },
    ]);
    const id = found.body[0].id as number;
    const row = await svc.db.errorRecord.findUniqueOrThrow({ where: { id } });
    expect([row.severity, row.category, row.cleared]).toEqual(['error', 'data_availability', false]);

    const cleared = await v2('error/clear', { id });
    expect(cleared).toEqual({ status: 200, body: { id, cleared_time: expect.any(String), cleared: true } });
    const again = await v2('error/clear', { id });
    expect([again.status, again.body.reason]).toEqual([400, `Error with ID ${id} has already been cleared.`]);
    const missing = await v2('error/clear', { id: 987654 });
    expect([missing.status, missing.body.reason]).toEqual([404, 'No error found with ID 987654 to clear.']);
    const after = await v2('search/error', query);
    expect([after.status, after.body.reason]).toEqual([404, 'No errors found.']);
    const resolved = await v2('search/error', { ...query, include_resolved: true });
    expect(resolved.body).toEqual([expect.objectContaining({ id, cleared: true, cleared_time: expect.any(String) })]);
    const badCategory = await v2('search/error', { ...query, category: 'TRANSFER' });
    expect(badCategory.status).toBe(400);

    // The same through this CLI.
    const listed = await lib.cli(['errors', 'list', '--all', '--category', 'data_availability', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ id, cleared: true })]);
    const open = await lib.cli(['errors', 'list', '--category', 'data_availability']);
    expect(open.stdout).toContain('No uncleared errors.');
    const twice = await lib.cli(['errors', 'clear', String(id)]);
    expect(twice.status).not.toBe(0);
    expect(twice.stderr).toContain(`Error with ID ${id} has already been cleared.`);
  });
});
