/**
 * Remote cloning between two real Librarians (two API servers, two workers, two catalogs and
 * stores), through the local method and through the real @globus/sdk against a fake Globus.
 */
import { randomUUID } from 'node:crypto';
import { closeChecksums } from '../support/data';
import { cloneAll, expectCloned, FAST_CLONE, fill } from '../support/clone';
import { FakeGlobus } from '../support/fakeGlobus';
import { connectPeers, startLibrarian, stopAllLibrarians } from '../support/librarian';

afterAll(async () => {
  await stopAllLibrarians();
  await closeChecksums();
});

test('200 files and 5 books by local copy (A on SQLite, B on PostgreSQL)', async () => {
  const a = await startLibrarian({ name: `a-${randomUUID().slice(0, 6)}`, provider: 'sqlite', config: { ...FAST_CLONE, clone: { ...FAST_CLONE.clone, methods: ['local'] } } });
  const b = await startLibrarian({ name: `b-${randomUUID().slice(0, 6)}`, provider: 'postgresql', config: FAST_CLONE });
  await connectPeers(a, b);
  const files = await fill(a, { files: 200, books: 5 });
  await cloneAll(a, b, files.length);
  await expectCloned(a, b, files);
  const svc = await a.services();
  const records = await svc.db.transferRecord.findMany({ where: { destination: b.name } });
  expect(records.length).toBeGreaterThanOrEqual(Math.ceil(files.length / 64));
  expect(records.every((r) => r.transferMethod === 'local' && r.bytesTransferred > 0n && r.effectiveBandwidthBps > 0)).toBe(true);
  // Nothing new to send: a second run starts nothing.
  expect(await a.client().post('admin/clone/send', { peer: b.name })).toMatchObject({ batches_started: 0 });
});

test('200 files and 5 books through Globus (A on PostgreSQL, B on SQLite)', async () => {
  const aName = `a-${randomUUID().slice(0, 6)}`;
  const bName = `b-${randomUUID().slice(0, 6)}`;
  const aEndpoint = randomUUID();
  const bEndpoint = randomUUID();
  // The fake maps each collection's "/" to the Librarian's directory; known once they exist.
  const endpoints: Record<string, string> = {};
  const fake = new FakeGlobus({ 'client-a': 'secret-a' }, endpoints);
  const url = await fake.start();
  try {
    const b = await startLibrarian({
      name: bName,
      provider: 'sqlite',
      config: FAST_CLONE,
      stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store', transferMethods: { globus: { endpointId: bEndpoint, root: '.' } } }],
    });
    endpoints[bEndpoint] = b.dir;
    const a = await startLibrarian({
      name: aName,
      provider: 'postgresql',
      config: {
        ...FAST_CLONE,
        clone: { ...FAST_CLONE.clone, methods: ['globus'] },
        globus: { enabled: true, clientId: 'client-a', clientSecret: 'secret-a', localEndpointId: aEndpoint, localRoot: '.', transferUrl: url, authUrl: url, pollInterval: '1s' },
      },
    });
    endpoints[aEndpoint] = a.dir;
    await connectPeers(a, b);
    const files = await fill(a, { files: 200, books: 5 });
    await cloneAll(a, b, files.length);
    await expectCloned(a, b, files);

    // One task per batch, one submission id per task, and one token for the whole run.
    const svc = await a.services();
    const batches = await svc.transfers.outgoing.inFlightBatches();
    expect(batches).toEqual([]);
    const records = await svc.db.transferRecord.findMany({ where: { destination: b.name } });
    expect(records.length).toBe(fake.tasks.size);
    expect(records.every((r) => r.transferMethod === 'globus' && fake.tasks.has(r.taskId) && r.bytesTransferred > 0n)).toBe(true);
    const submits = fake.requests.filter((r) => r.path === '/v0.10/transfer');
    expect(new Set(submits.map((r) => (r.body as { submission_id: string }).submission_id)).size).toBe(fake.tasks.size);
    expect(fake.count('POST', '/v2/oauth2/token')).toBe(1);
    const body = submits[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ source_endpoint: aEndpoint, destination_endpoint: bEndpoint, sync_level: 3, verify_checksum: true, encrypt_data: true });
  } finally {
    await fake.stop();
  }
});
