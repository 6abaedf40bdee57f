/**
 * v2 (SO Librarian 5.0.1) interoperation edges that wireV2Peer.test.ts does not reach, against one
 * stand-in v2 peer that receives from this Librarian and sends to it, speaking only the shapes of
 * wire-v2.md: a batch refused whole (§2.3 #7: 425 before 409 before 406, the 406 after it failed
 * its stale transfer) in both directions; our give-up told with checkin/update FAILED (§2.8);
 * clone/fail from a v2 sender (§2.3 #11); repairing a copy that came from the v2 peer with its
 * corrupt/prepare and corrupt/resend (§2.10, §3.6: refusals as `detail` objects, a 500 for a file
 * it lacks).
 */
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fill, FAST_CLONE } from '../support/clone';
import { checksumOf, makeFile, tmpDir } from '../support/data';
import { PlainText, standInServer, type Reply, type StandInCall } from '../support/http';
import { startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';

jest.setTimeout(5 * 60_000);

const V2 = 'so-site';
const V2_PASSWORD = 'so-site-password-at-a';
type Body = any; // eslint-disable-line @typescript-eslint/no-explicit-any

// The v2 peer. Statuses are v2's integers: 0 INITIATED, 1 ONGOING, 2 STAGED, 3 COMPLETED, 4 FAILED.
const calls: StandInCall[] = [];
/** Its IncomingTransfers: what we send it. */
const incoming = new Map<number, { status: number; name: string; checksum: string; size: number; stagingLocation: string; sourceTransferId: number }>();
/** Its OutgoingTransfers: what it sends us. */
const outgoing = new Map<number, number>();
/** Its files. */
const catalog = new Map<string, { checksum: string; size: number }>();
/** Its answers to corrupt/*, per file (default: its 500 for a file it lacks, §2.10 step 3). */
const upstream = new Map<string, (endpoint: string, reply: Reply) => unknown>();
/** Its async_transfer_providers, when a test changes them. */
let offer: Record<string, unknown> | undefined;
let ids = 1;
const root = tmpDir('v2-site-');
const REASONS: Record<number, string> = { 425: 'Transfer is ongoing.', 409: 'File already exists on librarian.', 406: 'Transfer was already initiated or staged.' };

/** clone/batch_stage there: v2's de-dup per item (§2.3 #6 steps 3-4), then the whole batch or one refusal. */
function stageThere(body: Body, reply: Reply) {
  const uploads = body.uploads as { upload_size: number; upload_checksum: string; upload_name: string; destination_location: string; source_transfer_id: number }[];
  const refused: Record<number, number[]> = { 425: [], 409: [], 406: [] };
  for (const u of uploads) {
    const dup = [...incoming.values()].find((t) => t.name === u.destination_location && t.checksum === u.upload_checksum && t.status <= 2);
    if (catalog.has(u.destination_location)) refused[409]!.push(u.source_transfer_id);
    else if (dup?.status === 1) refused[425]!.push(u.source_transfer_id);
    else if (dup) {
      dup.status = 4; // failed even though the batch is refused (§5 #17)
      refused[406]!.push(u.source_transfer_id);
    }
  }
  for (const status of [425, 409, 406]) {
    const listed = refused[status]!;
    if (listed.length) return reply(status, { reason: REASONS[status], suggested_remedy: 'Please try again later.', source_transfer_ids: listed, destination_transfer_ids: listed.map(() => -1) });
  }
  const staged = uploads.map((u) => {
    const id = ids++;
    const stagingLocation = path.join(root, `uuid-${id}`, u.upload_name);
    incoming.set(id, { status: 0, name: u.destination_location, checksum: u.upload_checksum, size: u.upload_size, stagingLocation, sourceTransferId: u.source_transfer_id });
    return { staging_name: `uuid-${id}`, staging_location: stagingLocation, upload_name: u.upload_name, destination_location: u.destination_location, source_transfer_id: u.source_transfer_id, destination_transfer_id: id };
  });
  const local = { hostnames: [os.hostname()], transfer_attempted: false, transfer_complete: false, start_time_transfer: null, bytes_transfer: null };
  return reply(201, { available_bytes_on_store: 1e12, store_name: 'store', uploads: staged, async_transfer_providers: offer ?? { local } });
}

/** Its ingest of a STAGED transfer (§3.3): checked, catalogued, then clone/complete on us. */
async function ingest(id: number) {
  const t = incoming.get(id)!;
  const got = await checksumOf(t.stagingLocation).catch(() => undefined);
  if (!got || got.checksum !== t.checksum || got.size !== t.size) return void (t.status = 4);
  t.status = 3;
  catalog.set(t.name, { checksum: t.checksum, size: t.size });
  await asV2('clone/complete', { source_transfer_id: t.sourceTransferId, destination_transfer_id: id, store_id: 7 });
}

const server = standInServer(calls, (endpoint, body: Body, reply) => {
  const statusOf = (list: number[], of: (id: number) => number | undefined) => Object.fromEntries(list.map((id) => [String(id), of(id) ?? null]));
  switch (endpoint) {
    case 'ping/':
    case 'ping/logged':
      return reply(200, { name: 'SO site', description: 'v2' });
    case 'clone/batch_stage':
      return stageThere(body, reply);
    case 'checkin/update': {
      const [modified, unmodified]: number[][] = [[], []];
      for (const id of body.destination_transfer_ids as number[]) {
        const t = incoming.get(id);
        // INITIATED → ONGOING/STAGED/FAILED/CANCELLED, ONGOING → STAGED/..., STAGED → FAILED/CANCELLED.
        if (!t || t.status > 2 || body.new_status <= t.status || body.new_status === 3) unmodified.push(id);
        else {
          t.status = body.new_status;
          modified.push(id);
          if (t.status === 2) setImmediate(() => void ingest(id));
        }
      }
      const src = body.source_transfer_ids as number[];
      for (const id of src) if (outgoing.has(id)) outgoing.set(id, body.new_status);
      const known = src.filter((id) => outgoing.has(id));
      return reply(200, { modified_source_transfer_ids: known, modified_destination_transfer_ids: modified, unmodified_source_transfer_ids: src.filter((id) => !known.includes(id)), unmodified_destination_transfer_ids: unmodified, reasons: [] });
    }
    case 'checkin/status':
      return reply(200, { source_transfer_status: statusOf(body.source_transfer_ids, (id) => outgoing.get(id)), destination_transfer_status: statusOf(body.destination_transfer_ids, (id) => incoming.get(id)?.status) });
    case 'clone/complete': {
      const s = outgoing.get(body.source_transfer_id);
      if (s !== 1 && s !== 2) return reply(s === undefined ? 400 : 406, { reason: s === undefined ? 'Could not find transfer.' : 'Transfer is not in ONGOING or STAGED status.', suggested_remedy: '' });
      outgoing.set(body.source_transfer_id, 3);
      return reply(200, { source_transfer_id: body.source_transfer_id, destination_transfer_id: body.destination_transfer_id });
    }
    case 'search/file': {
      const f = catalog.get(body.name);
      if (!f) return reply(404, { reason: 'No files found.', suggested_remedy: 'x' });
      const at = '2026-01-01T00:00:00';
      const instance = { path: `/data/${body.name}`, deletion_policy: 0, created_time: at, available: true, id: null, file_name: null, store_id: 7 };
      return reply(200, [{ name: body.name, create_time: at, size: f.size, checksum: f.checksum, uploader: 'so-pipeline', source: 'so-pipeline', instances: [instance], remote_instances: [] }]);
    }
    case 'corrupt/prepare':
    case 'corrupt/resend':
      return (upstream.get(body.file_name) ?? ((_: string, r: Reply) => r(500, new PlainText('Internal Server Error'))))(endpoint, reply);
    default:
      return reply(404, { detail: 'Not Found' });
  }
});

let a: LibrarianHandle;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  a = await startLibrarian({ provider: 'postgresql', config: { ...FAST_CLONE, repair: { retryEvery: '1s', giveUpAfter: '10m' } } });
  // Its account here (READAPPEND: it sends to us and calls back), and our record of it.
  await a.client().post('users/create', { username: V2, password: V2_PASSWORD, permission: 3 });
  await a.client().post('admin/librarians/add', { librarian_name: V2, url: 'http://127.0.0.1', port: (server.address() as AddressInfo).port, authenticator: 'a:at-so-site', check_connection: false });
});
afterAll(async () => {
  await stopAllLibrarians();
  server.close();
});

/** The v2 peer's calls to us, with its account here. */
async function asV2(endpoint: string, body: unknown): Promise<{ status: number; body: Body }> {
  const res = await fetch(`${a.url}/api/v2/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Basic ${Buffer.from(`${V2}:${V2_PASSWORD}`).toString('base64')}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

const since = (mark: number, endpoint: string) => calls.slice(mark).filter((c) => c.endpoint === endpoint);
const stagedNames = (mark: number) => since(mark, 'clone/batch_stage').map((c) => (c.body.uploads as { destination_location: string }[]).map((u) => u.destination_location).sort());
const stored = (name: string) => path.join(a.dir, 'stores/main/store', name);

const rowsTo = async (names: string[]) =>
  (await a.domain()).db.outgoingTransfer.findMany({ where: { destination: V2, fileName: { in: names } }, orderBy: [{ fileName: 'asc' }, { id: 'asc' }] });

/** Our record of its copy (undefined, not null, so that waitFor goes on waiting). */
async function remoteAtV2(name: string) {
  return (await (await a.domain()).db.remoteInstance.findFirst({ where: { fileName: name, librarian: { name: V2 } } })) ?? undefined;
}

/** Runs our sending step for it now; returns where its calls from then on start. */
async function sendNow(): Promise<number> {
  const mark = calls.length;
  await a.client().post('admin/clone/send', { peer: V2 });
  return mark;
}

describe('this Librarian sending to a v2 peer that refuses a batch whole', () => {
  test('406 (it failed its stale transfer of a file): the same batch is asked once more, staged, copied and confirmed', async () => {
    const sent = await fill(a, { files: 2, books: 0, prefix: 'to-v2/stale' });
    const names = sent.map((f) => f.name).sort();
    const y = await (await a.domain()).db.file.findUniqueOrThrow({ where: { name: names[0] } });
    // An earlier transfer of the file from us is still INITIATED there.
    const stale = ids++;
    incoming.set(stale, { status: 0, name: y.name, checksum: y.checksum, size: Number(y.size), stagingLocation: '', sourceTransferId: 1 });
    const mark = await sendNow();
    await waitFor('both recorded at the v2 peer', async () => (await remoteAtV2(names[0]!)) && (await remoteAtV2(names[1]!)), 90_000);
    expect(stagedNames(mark)).toEqual([names, names]);
    expect(incoming.get(stale)!.status).toBe(4);
    // One transfer each, never failed: the refusal was settled inside the staging step.
    expect((await rowsTo(names)).map((t) => [t.fileName, t.status, t.failureReason])).toEqual(names.map((n) => [n, 'COMPLETED', null]));
    expect((await remoteAtV2(names[0]!))!.storeId).toBe(7);
  });

  test('425 (it is receiving a file from elsewhere): that item cancelled, the rest staged again at once; once the file is there, its 409 records it', async () => {
    const sent = await fill(a, { files: 2, books: 0, prefix: 'to-v2/busy' });
    const [x, w] = sent.map((f) => f.name).sort() as [string, string];
    const xRow = await (await a.domain()).db.file.findUniqueOrThrow({ where: { name: x } });
    const elsewhere = ids++;
    incoming.set(elsewhere, { status: 1, name: x, checksum: xRow.checksum, size: Number(xRow.size), stagingLocation: '', sourceTransferId: 99 });
    const mark = await sendNow();
    await waitFor('W recorded at the v2 peer', () => remoteAtV2(w), 90_000);
    expect(stagedNames(mark)).toEqual([[x, w], [w]]);
    expect((await rowsTo([x, w])).map((t) => [t.fileName, t.status, t.failureReason])).toEqual([
      [x, 'CANCELLED', `${V2} is receiving "${x}" from elsewhere`],
      [w, 'COMPLETED', null],
    ]);
    expect(await remoteAtV2(x)).toBeUndefined();
    // The other transfer ends there; the next run offers X again and is told it exists.
    incoming.get(elsewhere)!.status = 3;
    catalog.set(x, { checksum: xRow.checksum, size: Number(xRow.size) });
    const again = await sendNow();
    await waitFor('X recorded at the v2 peer', () => remoteAtV2(x), 90_000);
    expect(stagedNames(again)).toEqual([[x]]);
    expect(since(again, 'search/file').map((c) => c.body.name)).toEqual([x]);
    expect((await rowsTo([x])).map((t) => t.status)).toEqual(['CANCELLED', 'COMPLETED']);
  });

  test('no transfer method in common (it offers none): the batch is given up and the peer told with checkin/update FAILED', async () => {
    offer = {}; // its store has no async transfer manager (§2.3 #7 step 5)
    const [v] = await fill(a, { files: 1, books: 0, prefix: 'to-v2/no-method' });
    try {
      const mark = await sendNow();
      const told = await waitFor('checkin/update FAILED at the v2 peer', async () => since(mark, 'checkin/update').find((c) => c.body.new_status === 4), 60_000);
      const theirs = [...incoming.entries()].find(([, t]) => t.name === v!.name)!;
      // What v2 reads (CheckinUpdateRequest): its IncomingTransfer ids, FAILED as the integer 4.
      expect(told.body).toEqual({ source_transfer_ids: [], destination_transfer_ids: [theirs[0]], new_status: 4 });
      expect(theirs[1].status).toBe(4);
      expect((await rowsTo([v!.name])).map((t) => [t.status, t.failureReason])).toEqual([['FAILED', `No transfer method in common with ${V2}: it offers none, we use local, globus.`]]);
      expect(since(mark, 'checkin/update')).toHaveLength(1);
    } finally {
      offer = undefined;
    }
  });
});

/** A file the v2 peer sends, with the id of its OutgoingTransfer. */
type Sent = { name: string; local: string; checksum: string; size: number; id: number };

/** Files the v2 peer has and sends us, each with a new OutgoingTransfer of its own. */
async function v2Files(names: string[]): Promise<Sent[]> {
  const dir = tmpDir('v2-files-');
  return Promise.all(
    names.map(async (name, i) => {
      const local = makeFile(path.join(dir, `${i}.dat`), 30_000 + ids + i);
      const { checksum, size } = await checksumOf(local);
      catalog.set(name, { checksum, size });
      return offered({ name, local, checksum, size, id: 0 });
    }),
  );
}
const offered = (f: Sent): Sent => {
  const id = ids++;
  outgoing.set(id, 0);
  return { ...f, id };
};
const batchOf = (items: Sent[]) => ({
  uploads: items.map((f) => ({ upload_size: f.size, upload_checksum: f.checksum, upload_name: f.name, destination_location: f.name, uploader: 'so-pipeline', source_transfer_id: f.id })),
  source: V2,
  total_size: items.reduce((s, f) => s + f.size, 0),
});
const setStatus = (uploads: { destination_transfer_id: number }[], status: number) =>
  asV2('checkin/update', { source_transfer_ids: [], destination_transfer_ids: uploads.map((u) => u.destination_transfer_id), new_status: status });

/** Its steps after a 201 (§3.2 7-9): ONGOING, the copy, STAGED; then our clone/complete for each. */
async function deliver(items: Sent[], uploads: { source_transfer_id: number; destination_transfer_id: number; staging_location: string }[]) {
  expect((await setStatus(uploads, 1)).status).toBe(200);
  for (const u of uploads) {
    outgoing.set(u.source_transfer_id, 1);
    cpSync(items.find((f) => f.id === u.source_transfer_id)!.local, u.staging_location);
  }
  expect((await setStatus(uploads, 2)).status).toBe(200);
  for (const u of uploads) outgoing.set(u.source_transfer_id, 2);
  await waitFor('clone/complete for each at the v2 peer', async () => items.every((f) => outgoing.get(f.id) === 3), 60_000);
}

describe('a v2 peer sending here (clone/batch_stage without extensions)', () => {
  test('a file being received: 425 listing only it (ahead of one we have), nothing staged; its clone/fail then fails that transfer and frees its staging', async () => {
    const [f, g] = await v2Files(['so/busy/f.dat', 'so/busy/g.dat']);
    const first = await asV2('clone/batch_stage', batchOf([f!]));
    expect(first.status).toBe(201);
    expect((await setStatus(first.body.uploads, 1)).body.modified_destination_transfer_ids).toEqual([first.body.uploads[0].destination_transfer_id]);
    const svc = await a.domain();
    const have = await svc.db.file.findFirstOrThrow({ where: { name: { startsWith: 'to-v2/' } } });
    const before = await svc.db.incomingTransfer.count();
    // It offers F again under a new id, with G and a file we have.
    const known = offered({ name: have.name, local: '', checksum: have.checksum, size: Number(have.size), id: 0 });
    const again = offered(f!);
    const r = await asV2('clone/batch_stage', batchOf([known, again, g!]));
    expect(r).toEqual({ status: 425, body: expect.objectContaining({ reason: 'Transfer is ongoing.', source_transfer_ids: [again.id], destination_transfer_ids: [-1] }) });
    expect(await svc.db.incomingTransfer.count()).toBe(before);

    // clone/fail, as its sender sends it when it gives up on the first transfer (§3.4).
    const t = first.body.uploads[0] as { destination_transfer_id: number; staging_location: string };
    expect(existsSync(path.dirname(t.staging_location))).toBe(true);
    const fail = { source_transfer_id: f!.id, destination_transfer_id: t.destination_transfer_id, reason: 'Transfer failed on source librarian.' };
    expect(await asV2('clone/fail', fail)).toEqual({ status: 200, body: { source_transfer_id: f!.id, destination_transfer_id: t.destination_transfer_id, success: true } });
    const row = await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: t.destination_transfer_id } });
    expect([row.status, row.failureReason]).toEqual(['FAILED', 'The source reported: Transfer failed on source librarian.']);
    expect(existsSync(path.dirname(t.staging_location))).toBe(false);
    // An id it does not own or we do not know: v2's 404 with a top-level reason.
    const unknown = await asV2('clone/fail', { ...fail, destination_transfer_id: 987_654 });
    expect([unknown.status, typeof unknown.body.reason]).toEqual([404, 'string']);
  });

  test('its own stale INITIATED transfer of a file: failed, and 406 (not 409, which would send it looking for our copy); the next offer is staged', async () => {
    const [h] = await v2Files(['so/stale/h.dat']);
    const first = await asV2('clone/batch_stage', batchOf([h!]));
    const stale = first.body.uploads[0] as { destination_transfer_id: number; staging_location: string };
    // Its side failed that transfer; it offers the file again under a new id.
    outgoing.set(h!.id, 4);
    const second = offered(h!);
    const r = await asV2('clone/batch_stage', batchOf([second]));
    expect(r).toEqual({ status: 406, body: expect.objectContaining({ reason: 'Transfer was already initiated or staged.', source_transfer_ids: [second.id], destination_transfer_ids: [-1] }) });
    const svc = await a.domain();
    const old = await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: stale.destination_transfer_id } });
    expect([old.status, old.failureStatus]).toEqual(['FAILED', 406]);
    expect(existsSync(path.dirname(stale.staging_location))).toBe(false);
    // Another source's transfer still waiting for data is left alone: 425 to a v2 sender.
    await a.client().post('admin/librarians/add', { librarian_name: 'other-site', url: 'http://127.0.0.1', port: 9, authenticator: 'a:at-other', check_connection: false });
    const [o] = await v2Files(['so/stale/o.dat']);
    const theirs = await a.client().post<{ destination_transfer_id: number }>('clone/stage', { upload_size: o!.size, upload_checksum: o!.checksum, upload_name: 'o.dat', destination_location: o!.name, uploader: 'x', source: 'other-site', source_transfer_id: 5 });
    expect((await asV2('clone/batch_stage', batchOf([o!]))).status).toBe(425);
    expect((await svc.db.incomingTransfer.findUniqueOrThrow({ where: { id: theirs.destination_transfer_id } })).status).toBe('INITIATED');

    const third = offered(h!);
    const staged = await asV2('clone/batch_stage', batchOf([third]));
    expect(staged.status).toBe(201);
    await deliver([third], staged.body.uploads);
    const file = await svc.db.file.findUniqueOrThrow({ where: { name: h!.name } });
    expect([file.checksum, file.source]).toEqual([h!.checksum, V2]);
  });
});

describe('repairing a copy that came from a v2 peer, with its corrupt/prepare and corrupt/resend', () => {
  let got: Sent[];
  beforeAll(async () => {
    got = await v2Files(['so/repair/r1.dat', 'so/repair/r2.dat', 'so/repair/r3.dat']);
    const staged = await asV2('clone/batch_stage', batchOf(got));
    await deliver(got, staged.body.uploads);
    for (const f of got) {
      const bytes = readFileSync(stored(f.name));
      bytes[100] = bytes[100]! ^ 0x40;
      writeFileSync(stored(f.name), bytes);
    }
  });

  const finding = async (name: string) => (await a.domain()).db.finding.findFirstOrThrow({ where: { fileName: name, kind: 'CORRUPT' }, orderBy: { id: 'desc' } });
  const validate = async (name: string) =>
    expect(await a.client().post('validate/file', { file_name: name, force: true })).toEqual([expect.objectContaining({ librarian: a.name, computed_same_checksum: false })]);

  test('its 401 and 409 `detail` reasons are recorded and asked again; then it sends a good copy, which replaces ours', async () => {
    const f = got[0]!;
    let answer = 401;
    let resent: Sent | undefined;
    upstream.set(f.name, async (endpoint, reply) => {
      if (answer === 401) return reply(401, { detail: { reason: 'Unauthorized', suggested_remedy: '' } });
      if (answer === 409) return reply(409, { detail: { reason: 'We are not able to send you files', suggested_remedy: 'Check every pre-condition for file transfers is met' } });
      if (endpoint === 'corrupt/prepare') return reply(200, { ready: true });
      // Inside the request (§3.6 step 6): a one-file batch to us and ONGOING; the data follows.
      resent = offered(f);
      const staged = await asV2('clone/batch_stage', batchOf([resent]));
      await setStatus(staged.body.uploads, 1);
      outgoing.set(resent.id, 1);
      reply(200, { success: true, destination_transfer_id: staged.body.uploads[0].destination_transfer_id });
      cpSync(f.local, staged.body.uploads[0].staging_location);
      await setStatus(staged.body.uploads, 2);
      outgoing.set(resent.id, 2);
    });
    const mark = calls.length;
    await validate(f.name);
    const noted = async (reason: string) => new RegExp(`^waiting to ask again \\(attempt \\d+\\): ${V2}: ${reason}$`).test((await finding(f.name)).repair ?? '');
    await waitFor('the 401 recorded', () => noted('Unauthorized'));
    answer = 409;
    await waitFor('the 409 recorded', () => noted('We are not able to send you files'));
    answer = 200;
    const done = await waitFor('the repair', async () => ((await finding(f.name)).resolvedAt ? finding(f.name) : undefined), 90_000);
    const t = await (await a.domain()).db.incomingTransfer.findFirstOrThrow({ where: { storePath: f.name, sourceTransferId: resent!.id } });
    expect([done.resolution, done.repair]).toEqual([`replaced by a verified copy from ${V2}`, `repaired from ${V2} (incoming transfer ${t.id})`]);
    expect(readFileSync(stored(f.name)).equals(readFileSync(f.local))).toBe(true);
    await waitFor('clone/complete of the new copy at the v2 peer', async () => outgoing.get(resent!.id) === 3);
    const asked = calls.slice(mark).filter((c) => c.endpoint.startsWith('corrupt/'));
    expect(new Set(asked.map((c) => JSON.stringify(c.body)))).toEqual(new Set([JSON.stringify({ file_name: f.name, librarian_name: a.name })]));
    expect(asked.map((c) => c.endpoint).slice(-2)).toEqual(['corrupt/prepare', 'corrupt/resend']);
    expect(asked.filter((c) => c.endpoint === 'corrupt/resend')).toHaveLength(1);
  });

  test('no copy there: its 409 "also corrupt", and its 500 for a file it lacks (told by its search/file, not retried), end the repair as unrecoverable', async () => {
    const [, corruptThere, lacking] = got as [Sent, Sent, Sent];
    upstream.set(corruptThere.name, (_, reply) => reply(409, { detail: { reason: 'Our copy of the file is also corrupt', suggested_remedy: 'Wait a while, we will attempt to fix this copy' } }));
    catalog.delete(lacking.name);
    const mark = calls.length;
    await validate(corruptThere.name);
    await validate(lacking.name);
    const settled = await waitFor('both repairs to end', async () => {
      const rows = await Promise.all([finding(corruptThere.name), finding(lacking.name)]);
      return rows.every((r) => r.repair?.startsWith('unrecoverable')) && rows;
    }, 90_000);
    expect(settled.map((r) => [r.resolvedAt, r.repair])).toEqual([
      [null, `unrecoverable: no good copy anywhere (${V2}: Our copy of the file is also corrupt)`],
      [null, `unrecoverable: no good copy anywhere (${V2}: No copy there: corrupt/prepare answered HTTP 500 and its search/file does not list the file.)`],
    ]);
    const about = (name: string, endpoint: string) => since(mark, endpoint).filter((c) => c.body.file_name === name || c.body.name === name).length;
    expect([about(lacking.name, 'corrupt/prepare'), about(lacking.name, 'search/file'), about(lacking.name, 'corrupt/resend')]).toEqual([1, 1, 0]);
    expect([about(corruptThere.name, 'corrupt/prepare'), about(corruptThere.name, 'search/file'), about(corruptThere.name, 'corrupt/resend')]).toEqual([1, 0, 0]);
  });
});
