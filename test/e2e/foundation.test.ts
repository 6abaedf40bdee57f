/**
 * The foundation end to end, on each catalog backend: real Temporal dev server, real API and
 * worker processes, HTTP only.
 */
import { LibrarianClient } from '../../src/protocol/client';
import { AUTH_LEVEL_NAMES, AUTH_LEVELS, type AuthLevelName } from '../../src/shared/authLevels';
import { apiError } from '../support/http';
import { PROVIDERS, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { spawnCli } from '../support/cli';

/** What each endpoint requires. Written out here, independently of the server's definitions. */
const REQUIRED: Record<string, AuthLevelName> = {
  'POST /api/v2/ping/': 'NONE',
  'GET /api/v2/ping/': 'NONE',
  'POST /api/v2/ping/logged': 'READONLY',
  'POST /api/v2/ping/admin': 'ADMIN',
  'POST /api/v2/users/create': 'ADMIN',
  'POST /api/v2/users/update': 'ADMIN',
  'POST /api/v2/users/delete': 'ADMIN',
  'POST /api/v2/users/get': 'ADMIN',
  'POST /api/v2/users/list': 'ADMIN',
  'POST /api/v2/users/password_update': 'READONLY',
  'POST /api/v2/admin/stores/list': 'ADMIN',
  'POST /api/v2/admin/stores/state_change': 'ADMIN',
  'POST /api/v2/admin/stores/check': 'ADMIN',
  'POST /api/v2/upload/stage': 'READAPPEND',
  'PUT /api/v2/upload/{transfer_id}/data': 'READAPPEND',
  'POST /api/v2/upload/status': 'READAPPEND',
  'POST /api/v2/upload/commit': 'READAPPEND',
  'POST /api/v2/search/file': 'READONLY',
  'POST /api/v2/validate/file': 'READONLY',
  'POST /api/v2/admin/librarians/add': 'ADMIN',
  'POST /api/v2/admin/librarians/list': 'ADMIN',
  'POST /api/v2/admin/librarians/remove': 'ADMIN',
  'POST /api/v2/admin/librarians/transfer_status/change': 'ADMIN',
  'POST /api/v2/admin/librarians/transfer_status/set': 'ADMIN',
  'POST /api/v2/admin/stores/manifest': 'ADMIN',
  'POST /api/v2/search/instance_local': 'ADMIN',
  'POST /api/v2/search/instance_remote': 'ADMIN',
  'POST /api/v2/search/error': 'ADMIN',
  'POST /api/v2/error/clear': 'ADMIN',
  'POST /api/v2/admin/clone/status': 'ADMIN',
  'POST /api/v2/admin/clone/send': 'ADMIN',
  'POST /api/v2/admin/clone/cancel': 'ADMIN',
  'POST /api/v2/admin/clone/history': 'ADMIN',
  'POST /api/v2/admin/explain': 'ADMIN',
  'POST /api/v2/clone/batch_stage': 'READAPPEND',
  'POST /api/v2/clone/stage': 'READAPPEND',
  'POST /api/v2/clone/ongoing': 'READAPPEND',
  'POST /api/v2/clone/fail': 'READAPPEND',
  'POST /api/v2/clone/staged': 'CALLBACK',
  'POST /api/v2/clone/complete': 'CALLBACK',
  'POST /api/v2/checkin/update': 'CALLBACK',
  'POST /api/v2/checkin/status': 'CALLBACK',
  'POST /api/v2/admin/local_clone/run': 'ADMIN',
  'POST /api/v2/sneakernet/provision': 'ADMIN',
  'POST /api/v2/sneakernet/seal': 'ADMIN',
  'POST /api/v2/sneakernet/manifest': 'ADMIN',
  'POST /api/v2/sneakernet/wipe': 'ADMIN',
  'POST /api/v2/sneakernet/status': 'ADMIN',
  'POST /api/v2/sneakernet/ingest': 'ADMIN',
  'POST /api/v2/sneakernet/ingest_status': 'ADMIN',
  'POST /api/v2/admin/audit/run': 'ADMIN',
  'POST /api/v2/admin/audit/status': 'ADMIN',
  'POST /api/v2/admin/audit/report': 'ADMIN',
  'POST /api/v2/corrupt/prepare': 'CALLBACK',
  'POST /api/v2/corrupt/resend': 'CALLBACK',
  'POST /api/v2/admin/repair/run': 'ADMIN',
  'POST /api/v2/admin/repair/status': 'ADMIN',
  'POST /api/v2/admin/deletion/run': 'ADMIN',
  'POST /api/v2/admin/deletion/log': 'ADMIN',
  'POST /api/v2/instances/delete': 'READWRITE',
  'POST /api/v2/admin/instance/delete_local': 'ADMIN',
  'POST /api/v2/admin/instance/delete_remote': 'ADMIN',
  'POST /api/v2/admin/import': 'ADMIN',
  'POST /api/v2/admin/add_file': 'ADMIN',
};

async function status(url: string, method: string, auth?: string): Promise<{ status: number; body: Record<string, unknown>; wwwAuthenticate: string | null }> {
  const res = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) },
    // An empty body: allowed calls fail validation (400) instead of changing anything.
    body: method === 'GET' ? undefined : '{}',
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : {}, wwwAuthenticate: res.headers.get('www-authenticate') };
}

describe.each(PROVIDERS)('foundation on %s', (provider) => {
  let lib: LibrarianHandle;
  const passwords: Record<string, string> = {};

  beforeAll(async () => {
    // The permission matrix sends a wrong password and an unknown name to every endpoint, some
    // 170 failed logins from one address: login throttling (test/e2e/logins.test.ts) stays out of it.
    lib = await startLibrarian({ provider, config: { logins: { freeFailuresPerAccount: 10_000, freeFailuresPerAddress: 10_000 } } });
    for (const level of AUTH_LEVEL_NAMES) {
      const username = `user-${level.toLowerCase()}`;
      passwords[username] = `password-${level}`;
      await lib.client().post('users/create', { username, password: passwords[username], permission: AUTH_LEVELS[level] });
    }
  });
  afterAll(stopAllLibrarians);

  test('users of every level exist with the levels they were given', async () => {
    const r = await lib.client().post<{ users: { username: string; permission: number; permission_name: string }[] }>('users/list');
    expect(r.users).toEqual(
      expect.arrayContaining(AUTH_LEVEL_NAMES.map((l) => ({ username: `user-${l.toLowerCase()}`, permission: AUTH_LEVELS[l], permission_name: l }))),
    );
    const svc = await lib.domain();
    const row = await svc.db.user.findUniqueOrThrow({ where: { username: 'user-readappend' } });
    expect(row.authLevel).toBe('READAPPEND');
    expect(row.authToken).toMatch(/^\$argon2id\$/);
    expect(row.authToken).not.toContain('password-READAPPEND');
  });

  test('permission matrix: every endpoint, every level', async () => {
    const doc = (await (await fetch(`${lib.url}/api/v2/openapi.json`)).json()) as { paths: unknown };
    const served = Object.entries(doc.paths as Record<string, Record<string, { 'x-librarian-permission': string }>>).flatMap(([p, ops]) =>
      Object.entries(ops).map(([m, op]) => ({ key: `${m.toUpperCase()} ${p}`, level: op['x-librarian-permission'] })),
    );
    // Every endpoint the server has is in the table above, with the same level.
    expect(Object.fromEntries(served.map((s) => [s.key, s.level]))).toEqual(REQUIRED);

    const failures: string[] = [];
    for (const [key, need] of Object.entries(REQUIRED)) {
      const [method, p] = key.split(' ') as [string, string];
      const url = `${lib.url}${p}`;
      for (const level of AUTH_LEVEL_NAMES) {
        const user = `user-${level.toLowerCase()}`;
        const r = await status(url, method, `${user}:${passwords[user]}`);
        const allowed = AUTH_LEVELS[level] >= AUTH_LEVELS[need];
        if (allowed ? [401, 403].includes(r.status) : r.status !== 403) failures.push(`${key} as ${level}: ${r.status} ${JSON.stringify(r.body)}`);
        if (!allowed && (!r.body.reason || !r.body.suggested_remedy)) failures.push(`${key} as ${level}: error body lacks reason/remedy`);
      }
      const wrong = await status(url, method, 'user-admin:not-the-password');
      if (wrong.status !== 401 || !wrong.wwwAuthenticate?.startsWith('Basic')) failures.push(`${key} with a wrong password: ${wrong.status}`);
      const unknown = await status(url, method, 'nobody:whatever');
      if (unknown.status !== 401) failures.push(`${key} as an unknown user: ${unknown.status}`);
      const anonymous = await status(url, method);
      const anonymousOk = need === 'NONE' ? anonymous.status < 400 || anonymous.status === 400 : anonymous.status === 401 && !!anonymous.wwwAuthenticate;
      if (!anonymousOk) failures.push(`${key} without credentials: ${anonymous.status}`);
    }
    expect(failures).toEqual([]);
  });

  test('ping answers without credentials but refuses wrong ones', async () => {
    expect(await lib.anonymous().post('ping/')).toEqual({
      name: `Test ${lib.name}`,
      description: 'No description set.',
      librarian_name: lib.name,
      username: null,
      auth_level: null,
      catalog: { ok: true, problem: null },
      temporal: { ok: true, problem: null },
    });
    const e = await apiError(new LibrarianClient({ url: lib.url, username: 'admin', password: 'wrong' }).post('ping/'));
    expect(e.status).toBe(401);
    expect(e.reason).toBe('Incorrect username or password.');
    const logged = await lib.client('user-readonly', passwords['user-readonly']).post<{ username: string }>('ping/logged');
    expect(logged).toMatchObject({ username: 'user-readonly', auth_level: 'READONLY' });
  });

  test('user management: duplicates, unknown users and the last admin', async () => {
    const admin = lib.client();
    const dup = await apiError(admin.post('users/create', { username: 'user-none', password: 'another-password', permission: 1 }));
    // 400 with "User already exists" is what the v2 Python client turns into its ValueError.
    expect(dup.status).toBe(400);
    expect(dup.body).toEqual({ reason: 'User already exists: "user-none".', suggested_remedy: expect.any(String) });

    for (const path of ['users/get', 'users/delete', 'users/update']) {
      const e = await apiError(admin.post(path, { username: 'ghost', permission: 1 }));
      expect([path, e.status, e.reason]).toEqual([path, 400, 'User not found: no user is named "ghost".']);
    }
    const badLevel = await apiError(admin.post('users/create', { username: 'x1', password: 'long-enough', permission: 7 }));
    expect(badLevel.status).toBe(400);
    expect(badLevel.reason).toMatch(/permission: unknown permission 7/);
    const shortPw = await apiError(admin.post('users/create', { username: 'x2', password: 'short', permission: 1 }));
    expect(shortPw.reason).toMatch(/password: passwords need at least 8 characters/);
    const badName = await apiError(admin.post('users/create', { username: 'a:b', password: 'long-enough', permission: 1 }));
    expect(badName.status).toBe(400);

    // Demote the other admin; then the original one is the last and can be neither deleted nor demoted.
    await admin.post('users/update', { username: 'user-admin', permission: 'READONLY' });
    expect(await admin.post('users/get', { username: 'user-admin' })).toEqual({ username: 'user-admin', permission: 1, permission_name: 'READONLY' });
    const last = await apiError(admin.post('users/delete', { username: 'admin' }));
    expect(last.status).toBe(409);
    expect((await apiError(admin.post('users/update', { username: 'admin', permission: 3 }))).status).toBe(409);
    await admin.post('users/update', { username: 'user-admin', permission: 100 });

    await admin.post('users/create', { username: 'temp-user', password: 'temporary-pw', permission: 1 });
    expect(await admin.post('users/delete', { username: 'temp-user' })).toEqual({ success: true, username: 'temp-user' });
    expect((await apiError(new LibrarianClient({ url: lib.url, username: 'temp-user', password: 'temporary-pw' }).post('ping/logged'))).status).toBe(401);
  });

  test('password change checks the current password on the server', async () => {
    await lib.client().post('users/create', { username: 'changer', password: 'first-password', permission: 1 });
    const me = new LibrarianClient({ url: lib.url, username: 'changer', password: 'first-password' });
    const wrongOld = await apiError(me.post('users/password_update', { password: 'not-it', new_password: 'second-password' }));
    expect(wrongOld.status).toBe(403);
    expect(wrongOld.reason).toBe('The current password given does not match.');
    await me.post('users/password_update', { password: 'first-password', new_password: 'second:password' });
    expect((await apiError(me.post('ping/logged'))).status).toBe(401);
    // Passwords may contain ":" (only the first colon of Basic auth separates the username).
    expect(await new LibrarianClient({ url: lib.url, username: 'changer', password: 'second:password' }).post('ping/logged')).toMatchObject({ username: 'changer' });
  });

  test('invalid bodies and unknown routes get the one error shape', async () => {
    const res = await fetch(`${lib.url}/api/v2/users/get`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`admin:${lib.admin.password}`).toString('base64')}` },
      body: '{not json',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ reason: expect.stringMatching(/not valid JSON/), suggested_remedy: expect.any(String) });
    const missing = await fetch(`${lib.url}/api/v2/no/such/endpoint`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ reason: 'No endpoint POST /api/v2/no/such/endpoint.', suggested_remedy: expect.any(String) });
  });

  test('stores come from the configuration and can be disabled and enabled', async () => {
    const admin = lib.client();
    const stores = await admin.post<Record<string, unknown>[]>('admin/stores/list');
    expect(stores).toEqual([{ id: expect.any(Number), name: 'main', store_type: 'local', free_space: expect.any(Number), ingestable: true, available: true, enabled: true, health_problem: null }]);
    expect(stores[0]!.free_space as number).toBeGreaterThan(0);
    expect(await admin.post('admin/stores/state_change', { store_name: 'main', enabled: false })).toEqual({ store_name: 'main', enabled: false, success: true });
    const svc = await lib.domain();
    expect((await svc.db.store.findUniqueOrThrow({ where: { name: 'main' } })).enabled).toBe(false);
    await admin.post('admin/stores/state_change', { store_name: 'main', enabled: true });
    expect((await svc.db.store.findUniqueOrThrow({ where: { name: 'main' } })).storeData).toMatchObject({ stagingPath: `${lib.dir}/stores/main/staging` });
    const e = await apiError(admin.post('admin/stores/state_change', { store_name: 'nope', enabled: true }));
    expect([e.status, e.reason]).toEqual([400, 'Store "nope" does not exist.']);
  });

  test('the health-check workflow runs and the CLI lists it from Temporal', async () => {
    const check = await lib.cli(['stores', 'check', 'main', '--json']);
    expect(check.status).toBe(0);
    const verdict = check.json<Record<string, unknown>>();
    expect(verdict).toMatchObject({ workflow_id: `store-health/${lib.name}/main`, name: 'main', available: true, writable: true, full: false, problem: null });

    const list = await lib.cli(['workflows', 'list', '--json']);
    expect(list.status).toBe(0);
    const rows = list.json<{ workflow_id: string; type: string; status: string; search_attributes: Record<string, unknown> }[]>();
    expect(rows).toContainEqual(
      expect.objectContaining({
        workflow_id: `store-health/${lib.name}/main`,
        type: 'storeHealthCheck',
        status: 'COMPLETED',
        search_attributes: { Librarian: lib.name, LibrarianStore: 'main', LibrarianPhase: 'healthy' },
      }),
    );
    const show = await lib.cli(['workflows', 'show', `store-health/${lib.name}/main`, '--json', '--history']);
    expect(show.status).toBe(0);
    const shown = show.json<{ status: string; last_failure: string | null; events: { type: string; detail: string }[] }>();
    expect(shown.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'WORKFLOW_EXECUTION_STARTED', detail: 'storeHealthCheck' }),
        expect.objectContaining({ type: 'ACTIVITY_TASK_SCHEDULED', detail: 'checkStoreHealth' }),
        expect.objectContaining({ type: 'ACTIVITY_TASK_STARTED', detail: 'checkStoreHealth: attempt 1' }),
        expect.objectContaining({ type: 'ACTIVITY_TASK_COMPLETED', detail: 'checkStoreHealth' }),
      ]),
    );
    expect(shown.status).toBe('COMPLETED');
    expect(shown.last_failure).toBeNull();
    expect(shown.events.map((e) => e.type)).toEqual(expect.arrayContaining(['WORKFLOW_EXECUTION_STARTED', 'ACTIVITY_TASK_COMPLETED', 'WORKFLOW_EXECUTION_COMPLETED']));
  });

  test('CLI: ping, users, stores with --json and tables, and errors with the reason', async () => {
    expect((await lib.cli(['ping', '--json'])).json()).toMatchObject({ librarian_name: lib.name, username: 'admin' });
    const created = await lib.cli(['users', 'create', 'cli-user', '--level', 'READONLY', '--json']);
    expect(created.status).toBe(0);
    const { password } = created.json<{ password: string }>();
    expect(password.length).toBeGreaterThanOrEqual(16);
    expect(await new LibrarianClient({ url: lib.url, username: 'cli-user', password }).post('ping/logged')).toMatchObject({ username: 'cli-user' });
    const table = await lib.cli(['users', 'list']);
    expect(table.stdout).toMatch(/cli-user\s+READONLY/);
    const again = await lib.cli(['users', 'create', 'cli-user', '--level', 'READONLY']);
    expect(again.status).not.toBe(0);
    expect(again.stderr).toContain('User already exists: "cli-user".');
    const passwd = await lib.cli(['users', 'passwd', '--json'], { username: 'cli-user', password });
    expect(passwd.status).toBe(0);
    const newPw = passwd.json<{ password: string }>().password;
    expect(await new LibrarianClient({ url: lib.url, username: 'cli-user', password: newPw }).post('ping/logged')).toMatchObject({ username: 'cli-user' });
    // A piped password is the new password, not a username (oclif reads a missing argument from stdin).
    const piped = spawnCli(['users', 'passwd', '--password-stdin', '--json'], { env: lib.cliEnv('cli-user', newPw), input: 'piped-password-0123456789\n' });
    expect([piped.status, piped.json()]).toEqual([0, { username: 'cli-user' }]);
    expect(await new LibrarianClient({ url: lib.url, username: 'cli-user', password: 'piped-password-0123456789' }).post('ping/logged')).toMatchObject({ username: 'cli-user' });
    expect((await lib.cli(['stores', 'disable', 'main', '--json'])).json()).toMatchObject({ store_name: 'main', enabled: false });
    expect((await lib.cli(['stores', 'list', '--json'])).json()).toEqual([expect.objectContaining({ name: 'main', enabled: false })]);
    await lib.cli(['stores', 'enable', 'main']);
    const forbidden = await lib.cli(['stores', 'list'], { username: 'cli-user', password: 'piped-password-0123456789' });
    expect(forbidden.status).not.toBe(0);
    expect(forbidden.stderr).toContain('needs permission ADMIN');
    // With --json the error is a JSON object on stdout, for scripts.
    const forbiddenJson = await lib.cli(['stores', 'list', '--json'], { username: 'cli-user', password: 'piped-password-0123456789' });
    expect([forbiddenJson.status, forbiddenJson.json()]).toEqual([1, { error: { reason: expect.stringContaining('needs permission ADMIN'), suggested_remedy: expect.any(String), status: 403 } }]);
    // A missing local path and an unknown workflow say what is wrong and what to do, not a raw error.
    const missing = await lib.cli(['upload', '/nonexistent/librarian-data.bin', 'x/y.bin']);
    expect([missing.status, missing.stderr]).toEqual([1, expect.stringContaining('Nothing exists at /nonexistent/librarian-data.bin.')]);
    expect(missing.stderr).not.toMatch(/ENOENT|lstat/);
    const noWorkflow = await lib.cli(['workflows', 'show', 'no-such-workflow', '--json']);
    expect([noWorkflow.status, noWorkflow.json()]).toEqual([
      1,
      { error: { reason: expect.stringMatching(/^No workflow "no-such-workflow" is known to Temporal/), suggested_remedy: expect.stringContaining('librarian workflows list'), status: null } },
    ]);
  });

  test('setup again is harmless: no new admin, no default password, stores kept', async () => {
    const r = await lib.cli(['setup', '--config', lib.configPath, '--json']);
    expect(r.status).toBe(0);
    expect(r.json()).toMatchObject({ migrationsApplied: [], stores: { created: [], updated: ['main'] }, admin: { created: false }, searchAttributesAdded: [], namespaceCreated: false });
    expect(await lib.client().post('ping/admin')).toMatchObject({ username: 'admin' });
  });
});
