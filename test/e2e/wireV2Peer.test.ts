/**
 * A v2 (SO Librarian 5.0.1) peer sending to this Librarian. The peer is a stand-in that speaks
 * only v2's shapes (wire-v2.md §2.3, §2.8, §3.2-3.3): it calls clone/batch_stage without our
 * extensions, moves its transfers with checkin/update, copies into staging_location as its local
 * transfer manager does, and answers the callbacks this Librarian makes (clone/complete,
 * checkin/update, checkin/status) as v2 does, recording them.
 */
import { cpSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { checksumOf, makeFile, tmpDir } from '../support/data';
import { startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';

const SO = 'so-telescope';
const SO_PASSWORD = 'so-password-at-b';

interface Call {
  endpoint: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The v2 peer's server side: what this Librarian calls on its source, answered as v2 does. */
function standIn() {
  const calls: Call[] = [];
  // v2 OutgoingTransfer statuses by id (1 ONGOING, 2 STAGED, 3 COMPLETED, 4 FAILED).
  const outgoing = new Map<number, number>();
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const endpoint = req.url!.replace(/^\/api\/v2\//, '');
      const body = raw ? JSON.parse(raw) : {};
      calls.push({ endpoint, body });
      const reply = (status: number, json: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(json));
      };
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
        default:
          return reply(404, { detail: 'Not Found' });
      }
    });
  });
  return { server, calls, outgoing };
}

let b: LibrarianHandle;
let so: ReturnType<typeof standIn>;

beforeAll(async () => {
  b = await startLibrarian({ provider: 'sqlite' });
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
