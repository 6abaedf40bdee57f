/**
 * A v2 (SO Librarian 5.0.1) peer sending to this Librarian. The peer is a stand-in that speaks
 * only v2's shapes (wire-v2.md §2.3, §2.8, §3.2-3.3): it calls clone/batch_stage without our
 * extensions, moves its transfers with checkin/update, copies into staging_location as its local
 * transfer manager does, and answers the callbacks this Librarian makes (clone/complete,
 * checkin/update, checkin/status) as v2 does, recording them.
 */
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fill } from '../support/clone';
import { checksumOf, makeFile, tmpDir, treeDigest } from '../support/data';
import { standInServer, type StandInCall } from '../support/http';
import { startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';

const SO = 'so-telescope';
/** v2's FileValidationResponseItem: every field required and non-null (wire-v2.md §2.9). */
const V2_ITEM = {
  librarian: expect.any(String),
  store: expect.any(Number),
  instance_id: expect.any(Number),
  original_checksum: expect.any(String),
  original_size: expect.any(Number),
  current_checksum: expect.any(String),
  current_size: expect.any(Number),
  computed_same_checksum: expect.any(Boolean),
};
const SO_PASSWORD = 'so-password-at-b';

type Call = StandInCall;

/** The v2 peer's server side: what this Librarian calls on its source, answered as v2 does. */
function standIn() {
  const calls: Call[] = [];
  // v2 OutgoingTransfer statuses by id (1 ONGOING, 2 STAGED, 3 COMPLETED, 4 FAILED).
  const outgoing = new Map<number, number>();
  // Its catalog: what search/file answers (v2 writes UTC times without an offset).
  const catalog = new Map<string, { checksum: string; size: number; create_time: string }>();
  const server = standInServer(calls, (endpoint, body, reply) => {
    switch (endpoint) {
      case 'ping/':
      case 'ping/logged':
        return reply(200, { name: 'SO telescope', description: 'v2' });
      case 'clone/complete': {
        const s = outgoing.get(body.source_transfer_id);
        if (s === undefined) return reply(400, { reason: 'Could not find transfer.', suggested_remedy: '' });
        if (s !== 1 && s !== 2) return reply(406, { reason: 'Transfer is not in ONGOING or STAGED status.', suggested_remedy: '' });
        outgoing.set(body.source_transfer_id, 3);
        return reply(200, { source_transfer_id: body.source_transfer_id, destination_transfer_id: body.destination_transfer_id });
      }
      case 'checkin/update': {
        const modified = (body.source_transfer_ids as number[]).filter((id) => outgoing.has(id));
        for (const id of modified) outgoing.set(id, body.new_status);
        return reply(200, {
          modified_source_transfer_ids: modified,
          modified_destination_transfer_ids: [],
          unmodified_source_transfer_ids: (body.source_transfer_ids as number[]).filter((id) => !outgoing.has(id)),
          unmodified_destination_transfer_ids: body.destination_transfer_ids,
          reasons: [],
        });
      }
      case 'checkin/status':
        return reply(200, {
          source_transfer_status: Object.fromEntries((body.source_transfer_ids as number[]).map((id) => [String(id), outgoing.get(id) ?? null])),
          destination_transfer_status: Object.fromEntries((body.destination_transfer_ids as number[]).map((id) => [String(id), null])),
        });
      case 'search/file': {
        const f = catalog.get(body.name);
        if (!f) return reply(404, { reason: 'No files found.', suggested_remedy: 'x' });
        return reply(200, [{ name: body.name, ...f, uploader: 'so-pipeline', source: 'so-pipeline', instances: [], remote_instances: [] }]);
      }
      default:
        return reply(404, { detail: 'Not Found' });
    }
  });
  return { server, calls, outgoing, catalog };
}

let b: LibrarianHandle;
let so: ReturnType<typeof standIn>;

/** The Globus collection of B's second store (offered to senders; no transfer goes through it here). */
const B_GLOBUS_ENDPOINT = '5e1f3b4a-0c2d-4e6f-8a9b-1c2d3e4f5a6b';

beforeAll(async () => {
  b = await startLibrarian({
    provider: 'sqlite',
    stores: [
      { name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' },
      // A store reachable by Globus too: the SneakerNet test stages on it.
      { name: 'drives', stagingPath: 'stores/drives/staging', storePath: 'stores/drives/store', transferMethods: { local: {}, globus: { endpointId: B_GLOBUS_ENDPOINT, root: 'stores/drives' } } },
    ],
  });
  so = standIn();
  await new Promise<void>((resolve) => so.server.listen(0, '127.0.0.1', resolve));
  const admin = b.client();
  // The v2 peer's account at B, and B's record of the v2 peer (its callbacks go there).
  await admin.post('users/create', { username: SO, password: SO_PASSWORD, permission: 3 });
  await admin.post('admin/librarians/add', { librarian_name: SO, url: 'http://127.0.0.1', port: (so.server.address() as AddressInfo).port, authenticator: 'b:at-so', check_connection: false });
  // B only receives from it here.
  await admin.post('admin/librarians/transfer_status/change', { librarian_name: SO, transfers_enabled: false });
});
afterAll(async () => {
  await stopAllLibrarians();
  so.server.close();
});


/** The v2 peer's HTTP calls to B, with its account there. */
async function asSo(endpoint: string, body: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${b.url}/api/v2/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${SO}:${SO_PASSWORD}`).toString('base64')}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function files(names: string[], firstId: number) {
  const dir = tmpDir('so-files-');
  return Promise.all(
    names.map(async (name, i) => {
      const local = makeFile(path.join(dir, `${i}.dat`), 10_000 + i);
      const { checksum, size } = await checksumOf(local);
      return { name, local, checksum, size, id: firstId + i };
    }),
  );
}

const batch = (items: Awaited<ReturnType<typeof files>>) => ({
  uploads: items.map((f) => ({ upload_size: f.size, upload_checksum: f.checksum, upload_name: f.name, destination_location: f.name, uploader: 'so-pipeline', source_transfer_id: f.id })),
  source: SO,
  total_size: items.reduce((s, f) => s + f.size, 0),
});

test('a v2 peer sends a batch: staged whole with providers it parses, data copied, every file confirmed back with clone/complete', async () => {
  const sent = await files(['so/run1/a.dat', 'so/run1/b.dat', 'so/run1/c.dat'], 101);
  for (const f of sent) so.outgoing.set(f.id, 0);
  sent.forEach((f, i) => so.catalog.set(f.name, { checksum: f.checksum, size: f.size, create_time: `2025-06-0${i + 1}T12:34:56.789` }));
  const staged = await asSo('clone/batch_stage', batch(sent));
  expect(staged.status).toBe(201);
  // What the v2 sender reads: a string store_name, each upload's ids and staging path, and a first
  // provider that parses as one of its managers (local: hostnames).
  expect(typeof staged.body.store_name).toBe('string');
  const first = Object.values(staged.body.async_transfer_providers)[0] as Record<string, unknown>;
  expect(first).toMatchObject({ hostnames: expect.any(Array), transfer_attempted: false, transfer_complete: false, start_time_transfer: null, bytes_transfer: null });
  const uploads = staged.body.uploads as { source_transfer_id: number; destination_transfer_id: number; staging_location: string }[];
  expect(uploads.map((u) => u.source_transfer_id).sort()).toEqual([101, 102, 103]);

  // Its steps 7 to 9: ONGOING, copy, STAGED (it sets its own side after each 2xx).
  const ids = uploads.map((u) => u.destination_transfer_id);
  expect((await asSo('checkin/update', { source_transfer_ids: [], destination_transfer_ids: ids, new_status: 1 })).status).toBe(200);
  for (const f of sent) so.outgoing.set(f.id, 1);
  for (const u of uploads) cpSync(sent.find((f) => f.id === u.source_transfer_id)!.local, u.staging_location);
  const stagedUpdate = await asSo('checkin/update', { source_transfer_ids: [], destination_transfer_ids: ids, new_status: 2 });
  expect(stagedUpdate.body).toMatchObject({ modified_destination_transfer_ids: expect.arrayContaining(ids), unmodified_destination_transfer_ids: [] });
  for (const f of sent) so.outgoing.set(f.id, 2);

  await waitFor('clone/complete for all three at the v2 peer', async () => sent.every((f) => so.outgoing.get(f.id) === 3), 60_000);
  const completes = so.calls.filter((c) => c.endpoint === 'clone/complete').map((c) => c.body);
  const svc = await b.domain();
  for (const f of sent) {
    const file = await svc.db.file.findUniqueOrThrow({ where: { name: f.name }, include: { instances: true } });
    expect([file.checksum, Number(file.size), file.source]).toEqual([f.checksum, f.size, SO]);
    // v2 does not send the creation time: it was read from the peer's search/file.
    expect(file.createTime.toISOString()).toBe(`${so.catalog.get(f.name)!.create_time}Z`);
    const t = await svc.db.incomingTransfer.findFirstOrThrow({ where: { storePath: f.name } });
    expect(completes).toContainEqual({ source_transfer_id: f.id, destination_transfer_id: t.id, store_id: file.instances[0]!.storeId });
  }
});

test('a batch with a file B has: v2\'s 409 listing it, nothing staged; the peer\'s check finds the copy; the rest goes next time', async () => {
  const [known] = await files(['so/run1/a.dat'], 201);
  // The same bytes as the first test's a.dat (same seed), so the same checksum.
  const svc = await b.domain();
  const have = await svc.db.file.findUniqueOrThrow({ where: { name: 'so/run1/a.dat' } });
  const item = { ...known!, checksum: have.checksum, size: Number(have.size) };
  const [fresh] = await files(['so/run2/new.dat'], 202);
  const before = await svc.db.incomingTransfer.count();
  const refused = await asSo('clone/batch_stage', batch([item, fresh!]));
  expect(refused.status).toBe(409);
  expect(refused.body).toMatchObject({ reason: 'File already exists on librarian.', source_transfer_ids: [201], destination_transfer_ids: [-1] });
  expect(await svc.db.incomingTransfer.count()).toBe(before);
  // The v2 sender's existing-file check: search/file on B, checksum compared, store_id recorded.
  const found = await asSo('search/file', { name: 'so/run1/a.dat', create_time_window: null, uploader: null, source: null, max_results: 64 });
  expect(found.body[0]).toMatchObject({ checksum: have.checksum, instances: [expect.objectContaining({ store_id: expect.any(Number) })] });
  // Next run: only the new file, staged.
  const next = await asSo('clone/batch_stage', batch([fresh!]));
  expect(next.status).toBe(201);
  expect(next.body.uploads.map((u: { source_transfer_id: number }) => u.source_transfer_id)).toEqual([202]);
});

test('a file whose bytes differ from what the v2 peer declared is refused, and the peer is told with checkin/update FAILED', async () => {
  const [bad] = await files(['so/run3/bad.dat'], 301);
  so.outgoing.set(301, 0);
  const staged = await asSo('clone/batch_stage', batch([bad!]));
  const u = staged.body.uploads[0] as { destination_transfer_id: number; staging_location: string };
  await asSo('checkin/update', { source_transfer_ids: [], destination_transfer_ids: [u.destination_transfer_id], new_status: 1 });
  so.outgoing.set(301, 1);
  writeFileSync(u.staging_location, Buffer.alloc(bad!.size, 7));
  await asSo('checkin/update', { source_transfer_ids: [], destination_transfer_ids: [u.destination_transfer_id], new_status: 2 });
  so.outgoing.set(301, 2);
  await waitFor('the v2 peer told of the failure', async () => so.outgoing.get(301) === 4, 60_000);
  expect(so.calls.filter((c) => c.endpoint === 'checkin/update').map((c) => c.body)).toContainEqual(expect.objectContaining({ source_transfer_ids: [301], destination_transfer_ids: [], new_status: 4 }));
  const svc = await b.domain();
  expect(await svc.db.file.count({ where: { name: 'so/run3/bad.dat' } })).toBe(0);
  expect((await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: u.destination_transfer_id } })).status).toBe('FAILED');
});

test("v2's SneakerNet ingest (wire-v2.md §3.9): clone/stage with the file's source and the sending Librarian as uploader, only a local offer, clone/ongoing, copy, clone/staged; catalogued with that source, and the sending Librarian told with clone/complete", async () => {
  const [f] = await files(['so/drive/x.dat'], 401);
  // The manifest made this transfer ONGOING at the source.
  so.outgoing.set(401, 1);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const asAdmin = async (endpoint: string, body: unknown): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${b.url}/api/v2/${endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${b.admin.username}:${b.admin.password}`).toString('base64')}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  // Received on the store that offers Globus as well.
  const admin = b.client();
  await admin.post('admin/stores/state_change', { store_name: 'main', enabled: false });
  try {
    // As v2's ingest_manifest sends each entry: source is the file's own source (who uploaded it
    // at the sending site, not a Librarian), uploader the manifest's librarian_name.
    const entry = { upload_size: f!.size, upload_checksum: f!.checksum, upload_name: 'x.dat', destination_location: f!.name, uploader: SO, source: 'so-pipeline', source_transfer_id: 401 };
    const staged = await asAdmin('clone/stage', entry);
    expect(staged.status).toBe(201);
    // What the ingest reads: the ids, the staging path and a sync provider naming this host. v2
    // parses transfer_providers as local managers only: the store's Globus offer is left out.
    expect(staged.body).toMatchObject({ source_transfer_id: 401, destination_transfer_id: expect.any(Number), staging_location: expect.stringMatching(/^\//), store_name: 'drives' });
    expect(staged.body.transfer_providers).toEqual({ local: { hostnames: [os.hostname()] } });
    const ids = { source_transfer_id: 401, destination_transfer_id: staged.body.destination_transfer_id as number };
    // The sending Librarian (the uploader, a peer) is told; the file keeps its source.
    const svc = await b.domain();
    expect(await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: ids.destination_transfer_id } })).toMatchObject({ source: SO, fileSource: 'so-pipeline', uploader: SO, status: 'INITIATED' });
    // Asked again by a caller sending our extensions: the same transfer, with the Globus offer.
    const ours = await asAdmin('clone/stage', { ...entry, extensions: 1 });
    expect([ours.status, ours.body.destination_transfer_id]).toEqual([201, ids.destination_transfer_id]);
    expect(ours.body.transfer_providers).toEqual({ local: { hostnames: [os.hostname()] }, globus: { endpoint_id: B_GLOBUS_ENDPOINT, root: path.join(b.dir, 'stores/drives') } });
    expect(await asAdmin('clone/ongoing', ids)).toEqual({ status: 200, body: { ...ids, success: true } });
    cpSync(f!.local, staged.body.staging_location);
    expect(await asAdmin('clone/staged', ids)).toEqual({ status: 200, body: { ...ids, success: true } });

    await waitFor('clone/complete at the source', async () => so.outgoing.get(401) === 3, 60_000);
    const file = await svc.db.file.findUniqueOrThrow({ where: { name: f!.name }, include: { instances: { include: { store: true } } } });
    expect([file.checksum, Number(file.size), file.source, file.uploader, file.instances.map((i) => i.store.name)]).toEqual([f!.checksum, f!.size, 'so-pipeline', SO, ['drives']]);
    expect(so.calls.filter((c) => c.endpoint === 'clone/complete').map((c) => c.body)).toContainEqual({ ...ids, store_id: file.instances[0]!.storeId });
    // The drive ingested again: "already exists", which the ingest counts as done.
    const again = await asAdmin('clone/stage', entry);
    expect([again.status, again.body.reason]).toEqual([409, 'File already exists on librarian.']);
    // Out of order: staged before ongoing is refused, and the transfer is left as it was.
    const [g] = await files(['so/drive/y.dat'], 402);
    const second = await asAdmin('clone/stage', { ...entry, upload_size: g!.size, upload_checksum: g!.checksum, upload_name: 'y.dat', destination_location: g!.name, source_transfer_id: 402 });
    const early = await asAdmin('clone/staged', { source_transfer_id: 402, destination_transfer_id: second.body.destination_transfer_id });
    expect(early.status).toBe(406);
    expect((await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: second.body.destination_transfer_id } })).status).toBe('INITIATED');
    // Neither the source nor the uploader a peer: nobody could be told, so refused, nothing staged.
    const before = await svc.db.incomingTransfer.count();
    const nobody = await asAdmin('clone/stage', { ...entry, upload_name: 'w.dat', destination_location: 'so/drive/w.dat', uploader: 'unknown-site', source_transfer_id: 403 });
    expect([nobody.status, nobody.body.reason]).toEqual([
      400,
      'Neither the source "so-pipeline" nor the uploader "unknown-site" is a peer of this Librarian, so no Librarian could be told when the file arrives.',
    ]);
    expect(await svc.db.incomingTransfer.count()).toBe(before);
    // Transfers that do not exist: 404, as v2 answers ("Could not find transfer.").
    for (const endpoint of ['clone/ongoing', 'clone/staged']) {
      const unknown = await asAdmin(endpoint, { source_transfer_id: 401, destination_transfer_id: 999_999 });
      expect([endpoint, unknown.status, unknown.body.reason]).toEqual([endpoint, 404, 'No incoming transfer with id 999999.']);
    }
  } finally {
    await admin.post('admin/stores/state_change', { store_name: 'main', enabled: true });
  }
});

test('checkin/update and checkin/status from a v2 peer: unknown ids, transfers not its own and forbidden transitions are left alone, with reasons; always 200', async () => {
  const svc = await b.domain();
  const mine = await svc.db.incomingTransfer.findFirstOrThrow({ where: { source: SO, status: 'COMPLETED' } });
  // Another peer's transfer, staged by an admin on its behalf.
  const [other] = await files(['elsewhere/z.dat'], 501);
  const admin = b.client();
  await admin.post('admin/librarians/add', { librarian_name: 'another-site', url: 'http://127.0.0.1', port: 9, authenticator: 'b:at-another', check_connection: false });
  const theirs = await admin.post<{ destination_transfer_id: number }>('clone/stage', { upload_size: other!.size, upload_checksum: other!.checksum, upload_name: 'z.dat', destination_location: other!.name, uploader: 'someone', source: 'another-site', source_transfer_id: 501 });

  const update = await asSo('checkin/update', { source_transfer_ids: [999_999], destination_transfer_ids: [999_998, theirs.destination_transfer_id, mine.id], new_status: 1 });
  expect(update.status).toBe(200);
  expect(update.body).toMatchObject({
    modified_source_transfer_ids: [],
    modified_destination_transfer_ids: [],
    unmodified_source_transfer_ids: [999_999],
    unmodified_destination_transfer_ids: [999_998, theirs.destination_transfer_id, mine.id],
  });
  expect(update.body.reasons).toHaveLength(4);
  expect((update.body.reasons as string[]).every((r) => typeof r === 'string' && r.length > 0)).toBe(true);
  // Nothing moved.
  expect((await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: theirs.destination_transfer_id } })).status).toBe('INITIATED');
  expect((await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: mine.id } })).status).toBe('COMPLETED');

  const status = await asSo('checkin/status', { source_transfer_ids: [999_999], destination_transfer_ids: [999_998, theirs.destination_transfer_id, mine.id] });
  expect(status).toEqual({
    status: 200,
    body: {
      source_transfer_status: { '999999': null },
      destination_transfer_status: { '999998': null, [theirs.destination_transfer_id]: null, [mine.id]: 3 },
      destination_transfer_store_ids: { '999998': null, [theirs.destination_transfer_id]: null, [mine.id]: expect.any(Number) },
      destination_transfer_reasons: { '999998': null, [theirs.destination_transfer_id]: null, [mine.id]: null },
    },
  });
});

/**
 * The other direction: this Librarian sending to a v2 peer. The stand-in receives as v2 does:
 * it stages a batch whole or refuses it with one error (409 listing files it has), creates a
 * staging directory only when the data arrives, answers checkin/update without per-transfer
 * statuses, ingests once told STAGED (checking size and checksum) and then calls clone/complete
 * on its source with its own account there.
 */
describe('this Librarian sending to a v2 peer', () => {
  const V2 = 'so-site-b';
  const V2_PASSWORD = 'so-b-password-at-a';
  let a: LibrarianHandle;
  let root: string;
  const calls: Call[] = [];
  const catalog = new Map<string, { checksum: string; size: number }>();
  // v2 IncomingTransfers: status 0 INITIATED, 1 ONGOING, 2 STAGED, 3 COMPLETED, 4 FAILED.
  const incoming = new Map<number, { status: number; name: string; checksum: string; size: number; stagingLocation: string; sourceTransferId: number }>();
  let nextId = 1;
  let server: http.Server;
  // Files whose copy here the stand-in's own validation finds damaged.
  const corruptHere = new Set<string>();
  const asV2 = async (endpoint: string, body: unknown): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${a.url}/api/v2/${endpoint}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${V2}:${V2_PASSWORD}`).toString('base64')}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  async function ingest(id: number) {
    const t = incoming.get(id)!;
    const got = await checksumOf(t.stagingLocation).catch(() => undefined);
    if (!got || got.checksum !== t.checksum || got.size !== t.size) {
      t.status = 4;
      return;
    }
    t.status = 3;
    catalog.set(t.name, { checksum: t.checksum, size: t.size });
    await fetch(`${a.url}/api/v2/clone/complete`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${V2}:${V2_PASSWORD}`).toString('base64')}` },
      body: JSON.stringify({ source_transfer_id: t.sourceTransferId, destination_transfer_id: id, store_id: 7 }),
    });
  }

  beforeAll(async () => {
    root = tmpDir('v2-receiver-');
    server = standInServer(calls, (endpoint, body, reply) => {
      switch (endpoint) {
        case 'ping/':
        case 'ping/logged':
          return reply(200, { name: 'SO site B', description: 'v2' });
        case 'clone/batch_stage': {
          const uploads = body.uploads as { upload_size: number; upload_checksum: string; upload_name: string; destination_location: string; source_transfer_id: number }[];
          const exists = uploads.filter((u) => catalog.has(u.destination_location)).map((u) => u.source_transfer_id);
          if (exists.length > 0) {
            return reply(409, { reason: 'File already exists on librarian.', suggested_remedy: 'x', source_transfer_ids: exists, destination_transfer_ids: exists.map(() => -1) });
          }
          const staged = uploads.map((u) => {
            const id = nextId++;
            const stagingName = `uuid-${id}`;
            const stagingLocation = path.join(root, 'staging', stagingName, u.upload_name);
            incoming.set(id, { status: 0, name: u.destination_location, checksum: u.upload_checksum, size: u.upload_size, stagingLocation, sourceTransferId: u.source_transfer_id });
            return { staging_name: stagingName, staging_location: stagingLocation, upload_name: u.upload_name, destination_location: u.destination_location, source_transfer_id: u.source_transfer_id, destination_transfer_id: id };
          });
          return reply(201, {
            available_bytes_on_store: 1e12,
            store_name: 'store',
            uploads: staged,
            async_transfer_providers: { local: { hostnames: [os.hostname()], transfer_attempted: false, transfer_complete: false, start_time_transfer: null, bytes_transfer: null } },
          });
        }
        case 'checkin/update': {
          const modified: number[] = [];
          const unmodified: number[] = [];
          for (const id of body.destination_transfer_ids as number[]) {
            const t = incoming.get(id);
            const ok = t && ((t.status === 0 && [1, 2, 4, 5].includes(body.new_status)) || (t.status === 1 && [2, 4, 5].includes(body.new_status)) || (t.status === 2 && [4, 5].includes(body.new_status)));
            if (!ok) unmodified.push(id);
            else {
              t.status = body.new_status;
              modified.push(id);
              if (body.new_status === 2) setTimeout(() => void ingest(id), 50);
            }
          }
          return reply(200, { modified_source_transfer_ids: [], modified_destination_transfer_ids: modified, unmodified_source_transfer_ids: [], unmodified_destination_transfer_ids: unmodified, reasons: [] });
        }
        case 'checkin/status':
          return reply(200, {
            source_transfer_status: Object.fromEntries((body.source_transfer_ids as number[]).map((id) => [String(id), null])),
            destination_transfer_status: Object.fromEntries((body.destination_transfer_ids as number[]).map((id) => [String(id), incoming.get(id)?.status ?? null])),
          });
        case 'search/file': {
          const f = catalog.get(body.name);
          if (!f) return reply(404, { reason: 'No files found.', suggested_remedy: 'x' });
          return reply(200, [{ name: body.name, create_time: '2026-01-01T00:00:00', size: f.size, checksum: f.checksum, uploader: 'u', source: 'u', instances: [{ path: `/data/${body.name}`, deletion_policy: 0, created_time: '2026-01-01T00:00:00', available: true, id: null, file_name: null, store_id: 7 }], remote_instances: [] }]);
        }
        case 'clone/fail':
          return reply(200, { source_transfer_id: body.source_transfer_id, destination_transfer_id: body.destination_transfer_id, success: true });
        case 'validate/file': {
          // v2's items: no state, path or checksum_time; its checksum always prefixed.
          const f = catalog.get(body.file_name);
          if (!f) return reply(400, { reason: 'This file does not exist in the librarian.', suggested_remedy: 'Check the file name and try again.' });
          const current = corruptHere.has(body.file_name) ? `${f.checksum.split(':::')[0]}:::0000` : f.checksum;
          return reply(200, [{ librarian: V2, store: 7, instance_id: 70, original_checksum: f.checksum, original_size: f.size, current_checksum: current, current_size: f.size, computed_same_checksum: current === f.checksum }]);
        }
        default:
          return reply(404, { detail: 'Not Found' });
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    a = await startLibrarian({ provider: 'postgresql' });
    await a.client().post('users/create', { username: V2, password: V2_PASSWORD, permission: 2 });
  });
  afterAll(() => server.close());

  test('peers add accepts it (its ping has no librarian_name); a file it has is recorded from its 409; the rest are copied and confirmed', async () => {
    const port = (server.address() as AddressInfo).port;
    // check_connection: its ping answers without our librarian_name field.
    expect(await a.client().post('admin/librarians/add', { librarian_name: V2, url: 'http://127.0.0.1', port, authenticator: `a:password-at-${V2}`, check_connection: true })).toMatchObject({ success: true, ping_success: true });
    // Held while the files arrive and the peer is given one of them.
    await a.client().post('admin/librarians/transfer_status/change', { librarian_name: V2, transfers_enabled: false });
    const sent = await fill(a, { files: 3, books: 0, prefix: 'to-v2' });
    const svc = await a.domain();
    const known = await svc.db.file.findUniqueOrThrow({ where: { name: sent[0]!.name } });
    catalog.set(known.name, { checksum: known.checksum, size: Number(known.size) });

    await a.client().post('admin/librarians/transfer_status/change', { librarian_name: V2, transfers_enabled: true });
    await a.client().post('admin/clone/send', { peer: V2 });
    const peer = await svc.db.librarian.findUniqueOrThrow({ where: { name: V2 } });
    await waitFor('all three recorded at the v2 peer', async () => (await svc.db.remoteInstance.count({ where: { librarianId: peer.id } })) === 3, 120_000);
    const remote = await svc.db.remoteInstance.findMany({ where: { librarianId: peer.id }, orderBy: { fileName: 'asc' } });
    expect(remote.map((r) => [r.fileName, r.storeId])).toEqual(sent.map((f) => [f.name, 7]).sort());
    // The known file was never sent: one refused batch, then a batch of the other two, copied.
    const stages = calls.filter((c) => c.endpoint === 'clone/batch_stage').map((c) => (c.body.uploads as { destination_location: string }[]).map((u) => u.destination_location).sort());
    expect(stages).toEqual([sent.map((f) => f.name).sort(), [sent[1]!.name, sent[2]!.name].sort()]);
    for (const f of sent.slice(1)) {
      const t = [...incoming.values()].find((x) => x.name === f.name)!;
      expect([t.status, treeDigest(t.stagingLocation)]).toEqual([3, treeDigest(f.local)]);
    }
    expect(await svc.db.outgoingTransfer.count({ where: { destination: V2, status: { not: 'COMPLETED' } } })).toBe(0);
  });

  test('validate/file: the v2 peer asks with only file_name and gets our copies; asked with peers, its v2 items join ours', async () => {
    const svc = await a.domain();
    const sent = await svc.db.remoteInstance.findFirstOrThrow({ where: { librarian: { name: V2 } }, include: { file: true } });
    const before = calls.filter((c) => c.endpoint === 'validate/file').length;
    // As v2's recursion asks (§3.7): one field. It gets our verdicts only; we do not ask it back.
    const asked = await asV2('validate/file', { file_name: sent.fileName });
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual([expect.objectContaining({ librarian: a.name, computed_same_checksum: true, original_checksum: sent.file.checksum, current_checksum: sent.file.checksum })]);
    // Every item parses as v2's FileValidationResponseItem (no nulls where it types str and int).
    expect(asked.body).toEqual([expect.objectContaining(V2_ITEM)]);
    expect(calls.filter((c) => c.endpoint === 'validate/file').length).toBe(before);
    // A lost copy (its data gone) has no current checksum: v2 callers are not given it, as v2 gives
    // no item for missing data; our callers (who send any of our fields, force: false too) are.
    const [lost] = await fill(a, { files: 1, books: 0, prefix: 'v2-lost' });
    rmSync(path.join(a.dir, 'stores/main/store', lost!.name));
    expect(await asV2('validate/file', { file_name: lost!.name })).toEqual({ status: 200, body: [] });
    expect(await a.client().post('validate/file', { file_name: lost!.name, force: false })).toEqual([
      expect.objectContaining({ librarian: a.name, state: 'lost', current_checksum: null, current_size: null, computed_same_checksum: false }),
    ]);
    // Our recursion reaches it, reads its v2 items (no state), and tells good from corrupt.
    corruptHere.add(sent.fileName);
    const all = await a.client().post<{ librarian: string; computed_same_checksum: boolean; state?: string }[]>('validate/file', { file_name: sent.fileName, peers: true });
    expect(calls.filter((c) => c.endpoint === 'validate/file').map((c) => c.body)).toContainEqual({ file_name: sent.fileName, force: false, depth: 2, visited: [a.name], peers: true });
    expect(all.map((i) => [i.librarian, i.computed_same_checksum, i.state])).toEqual([
      [a.name, true, 'good'],
      [V2, false, undefined],
    ]);
  });

  test('corrupt/prepare and corrupt/resend from the v2 peer: our copy checked, then sent to it as a one-file batch, and confirmed', async () => {
    const svc = await a.domain();
    const peer = await svc.db.librarian.findUniqueOrThrow({ where: { name: V2 } });
    const damaged = await svc.db.remoteInstance.findFirstOrThrow({ where: { librarianId: peer.id }, include: { file: true }, orderBy: { fileName: 'asc' } });
    // Someone else's account, or a file we lack: refused with reasons v2's repair task matches.
    const notMine = await fetch(`${a.url}/api/v2/corrupt/prepare`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${a.admin.username}:${a.admin.password}`).toString('base64')}` },
      body: JSON.stringify({ file_name: damaged.fileName, librarian_name: V2 }),
    });
    expect(notMine.status).toBe(401);
    const missing = await asV2('corrupt/prepare', { file_name: 'no/such/file', librarian_name: V2 });
    expect([missing.status, missing.body.reason]).toEqual([409, expect.stringMatching(/^We do not have a copy of the file you are requesting/)]);

    const pingsBefore = calls.filter((c) => c.endpoint === 'ping/logged').length;
    expect(await asV2('corrupt/prepare', { file_name: damaged.fileName, librarian_name: V2 })).toEqual({ status: 200, body: { ready: true } });
    // It checked that it can log in to the peer before saying yes.
    expect(calls.filter((c) => c.endpoint === 'ping/logged').length).toBeGreaterThan(pingsBefore);
    // v2's step 5: the peer deletes its copy before asking for the new one.
    catalog.delete(damaged.fileName);
    const resend = await asV2('corrupt/resend', { librarian_name: V2, file_name: damaged.fileName });
    expect(resend).toEqual({ status: 200, body: { success: true, destination_transfer_id: expect.any(Number) } });
    const t = incoming.get(resend.body.destination_transfer_id)!;
    expect(t.name).toBe(damaged.fileName);
    await waitFor('the new copy ingested at the v2 peer', async () => t.status === 3, 60_000);
    // Staged once for the repair (a second clone/batch_stage would make a v2 peer fail the transfer
    // it was given); the other call is the first test's batch, which it refused.
    const stagings = calls.filter((c) => c.endpoint === 'clone/batch_stage' && (c.body.uploads as { destination_location: string }[]).some((u) => u.destination_location === damaged.fileName));
    expect(stagings).toHaveLength(2);
    expect((await checksumOf(t.stagingLocation)).checksum).toBe(damaged.file.checksum);
    const outgoing = await svc.db.outgoingTransfer.findFirstOrThrow({ where: { destination: V2, fileName: damaged.fileName }, orderBy: { id: 'desc' } });
    await waitFor('the resend confirmed', async () => (await svc.db.outgoingTransfer.findUniqueOrThrow({ where: { id: outgoing.id } })).status === 'COMPLETED', 30_000);
    expect(await svc.db.remoteInstance.count({ where: { librarianId: peer.id, fileName: damaged.fileName } })).toBe(1);
  });
});
