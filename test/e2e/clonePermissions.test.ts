/**
 * Who may call the clone and checkin endpoints for which transfer (inventory §2.4-2.5: callbacks
 * only from the peer's own account), the status-transition table, and peer administration.
 * The level of each endpoint is in the permission matrix of foundation.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { LibrarianClient } from '../../src/protocol/client';
import { cloneAll, FAST_CLONE, fill } from '../support/clone';
import { closeChecksums } from '../support/data';
import { apiError } from '../support/http';
import { connectPeers, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { testTemporalClient } from '../support/temporalServer';

let a: LibrarianHandle;
let b: LibrarianHandle;
let malloryOnA: LibrarianClient;
let malloryOnB: LibrarianClient;
let aOnB: LibrarianClient;
let bOnA: LibrarianClient;

const item = (n: number, extra: Record<string, unknown> = {}) => ({
  upload_size: 10,
  upload_checksum: `md5:::${'0'.repeat(31)}${n}`,
  upload_name: `perm/${n}.dat`,
  destination_location: `perm/${n}.dat`,
  uploader: 'someone',
  source_transfer_id: 1000 + n,
  ...extra,
});

beforeAll(async () => {
  a = await startLibrarian({ name: `a-${randomUUID().slice(0, 6)}`, config: { ...FAST_CLONE, clone: { ...FAST_CLONE.clone, methods: ['local'] } } });
  b = await startLibrarian({ name: `b-${randomUUID().slice(0, 6)}`, provider: 'postgresql', config: FAST_CLONE });
  await connectPeers(a, b);
  // Passwords are set by connectPeers; give the tests their own accounts with the same levels.
  await a.client().post('users/update', { username: b.name, password: 'b-on-a-password' });
  await b.client().post('users/update', { username: a.name, password: 'a-on-b-password' });
  bOnA = new LibrarianClient({ url: a.url, username: b.name, password: 'b-on-a-password' });
  aOnB = new LibrarianClient({ url: b.url, username: a.name, password: 'a-on-b-password' });
  await a.client().post('users/create', { username: 'mallory', password: 'mallory-password', permission: 'CALLBACK' });
  await b.client().post('users/create', { username: 'mallory', password: 'mallory-password', permission: 'READAPPEND' });
  malloryOnA = new LibrarianClient({ url: a.url, username: 'mallory', password: 'mallory-password' });
  malloryOnB = new LibrarianClient({ url: b.url, username: 'mallory', password: 'mallory-password' });
  // The peers' own accounts changed password: update what each stored for the other.
  for (const [lib, peer, pw, user] of [
    [a, b, 'a-on-b-password', a.name],
    [b, a, 'b-on-a-password', b.name],
  ] as const) {
    await lib.client().post('admin/librarians/remove', { librarian_name: peer.name, remove_remote_instances: true });
    await lib.client().post('admin/librarians/add', { librarian_name: peer.name, url: '127.0.0.1', port: Number(new URL(peer.url).port), authenticator: `${user}:${pw}` });
  }
});

afterAll(async () => {
  await stopAllLibrarians();
  await closeChecksums();
});

test('destination side: only the sending peer stages and changes its transfers', async () => {
  const impostor = await apiError(malloryOnB.post('clone/batch_stage', { source: a.name, uploads: [item(1)] }));
  expect([impostor.status, impostor.reason]).toEqual([403, `Account "mallory" cannot send clones on behalf of "${a.name}".`]);
  const unknownSource = await apiError(b.client().post('clone/batch_stage', { source: 'nobody', uploads: [item(1)] }));
  expect([unknownSource.status, unknownSource.reason]).toEqual([400, '"nobody" is not a peer of this Librarian, so it could not be told when its files arrive.']);

  // As our senders ask (extensions: 1): an answer per item.
  const staged = await aOnB.post<{ uploads: { destination_transfer_id: number; source_transfer_id: number }[]; refused: unknown[] }>('clone/batch_stage', {
    source: a.name,
    extensions: 1,
    uploads: [item(1), item(2), item(3, { destination_location: '../escape' })],
  });
  expect(staged.uploads.map((u) => u.source_transfer_id)).toEqual([1001, 1002]);
  expect(staged.refused).toEqual([{ source_transfer_id: 1003, status: 400, reason: 'The destination path "../escape" is not a clean relative path.' }]);
  const [one, two] = staged.uploads.map((u) => u.destination_transfer_id);
  // Asking again (a lost reply) gives the same transfers, not new ones.
  const again = await aOnB.post<{ uploads: { destination_transfer_id: number }[] }>('clone/batch_stage', { source: a.name, extensions: 1, uploads: [item(1)] });
  expect(again.uploads.map((u) => u.destination_transfer_id)).toEqual([one]);

  const notYours = await apiError(malloryOnB.post('clone/ongoing', { source_transfer_id: 1001, destination_transfer_id: one }));
  expect(notYours.status).toBe(403);
  expect((await apiError(malloryOnB.post('clone/fail', { source_transfer_id: 1001, destination_transfer_id: one }))).status).toBe(403);
  const foreign = await malloryOnB.post<{ unmodified_destination_transfer_ids: number[]; reasons: string[] }>('checkin/update', { destination_transfer_ids: [one], new_status: 1 });
  expect(foreign).toMatchObject({ unmodified_destination_transfer_ids: [one], reasons: [`Incoming transfer ${one}: not found.`] });
  expect(await malloryOnB.post('checkin/status', { destination_transfer_ids: [one] })).toMatchObject({ destination_transfer_status: { [one!]: null } });

  // The transition table.
  const staging = await apiError(aOnB.post('clone/staged', { source_transfer_id: 1001, destination_transfer_id: one }));
  expect([staging.status, staging.reason]).toEqual([406, `Incoming transfer ${one} is INITIATED, not ONGOING.`]);
  expect(await aOnB.post('clone/ongoing', { source_transfer_id: 1001, destination_transfer_id: one })).toMatchObject({ success: true });
  const completed = await apiError(aOnB.post('checkin/update', { destination_transfer_ids: [one], new_status: 'COMPLETED' }));
  expect(completed.status).toBe(400);
  const back = await aOnB.post<{ unmodified_destination_transfer_ids: number[]; reasons: string[]; destination_transfer_status: Record<string, number> }>('checkin/update', {
    destination_transfer_ids: [one],
    new_status: 0,
  });
  expect(back).toMatchObject({ unmodified_destination_transfer_ids: [one], reasons: [`Incoming transfer ${one}: cannot go from ONGOING to INITIATED.`], destination_transfer_status: { [one!]: 1 } });
  const failed = await aOnB.post<{ modified_destination_transfer_ids: number[] }>('checkin/update', { destination_transfer_ids: [one, two], new_status: 4 });
  expect(failed.modified_destination_transfer_ids).toEqual([one, two]);
  expect(await aOnB.post('checkin/status', { destination_transfer_ids: [one, two, 999_999] })).toMatchObject({ destination_transfer_status: { [one!]: 4, [two!]: 4, 999999: null } });
});

test('source side: only the destination confirms copies, and only its own transfers', async () => {
  const files = await fill(a, { files: 2, books: 0, prefix: 'perm-src' });
  await cloneAll(a, b, files.length);
  const svc = await a.domain();
  const t = await svc.db.outgoingTransfer.findFirstOrThrow({ where: { destination: b.name } });
  const mallory = await apiError(malloryOnA.post('clone/complete', { source_transfer_id: t.id, destination_transfer_id: t.remoteTransferId, store_id: 1 }));
  expect([mallory.status, mallory.reason]).toEqual([404, `No outgoing transfer ${t.id} to "mallory".`]);
  // The destination repeating its confirmation changes nothing (one RemoteInstance per file, peer and store).
  const before = await svc.db.remoteInstance.count();
  const store = (await svc.db.remoteInstance.findFirstOrThrow({ where: { fileName: t.fileName } })).storeId;
  expect(await bOnA.post('clone/complete', { source_transfer_id: t.id, destination_transfer_id: t.remoteTransferId, store_id: store })).toMatchObject({ success: true });
  expect(await svc.db.remoteInstance.count()).toBe(before);
  expect(await malloryOnA.post('checkin/update', { source_transfer_ids: [t.id], new_status: 4 })).toMatchObject({ unmodified_source_transfer_ids: [t.id] });
  expect(await malloryOnA.post('checkin/status', { source_transfer_ids: [t.id] })).toMatchObject({ source_transfer_status: { [t.id]: null } });
  expect(await bOnA.post('checkin/status', { source_transfer_ids: [t.id] })).toMatchObject({ source_transfer_status: { [t.id]: 3 } });
  expect(await bOnA.post('checkin/update', { source_transfer_ids: [t.id], new_status: 4 })).toMatchObject({ unmodified_source_transfer_ids: [t.id], reasons: [`Outgoing transfer ${t.id}: cannot go from COMPLETED to FAILED.`] });
  // A file the destination already has, offered again, simply becomes a RemoteInstance.
  const present = await aOnB.post<{ already_present: { source_transfer_id: number }[] }>('clone/batch_stage', {
    source: a.name,
    extensions: 1,
    uploads: [{ ...item(9), upload_checksum: t.transferChecksum, destination_location: t.fileName, upload_size: Number(t.transferSize), source_transfer_id: 5555 }],
  });
  expect(present.already_present).toEqual([expect.objectContaining({ source_transfer_id: 5555 })]);
});

test('peer administration: duplicates, bad credentials, wrong names, forgetting copies, availability', async () => {
  const port = Number(new URL(b.url).port);
  const dup = await apiError(a.client().post('admin/librarians/add', { librarian_name: b.name, url: '127.0.0.1', port, authenticator: 'x:y' }));
  expect([dup.status, dup.body]).toEqual([400, expect.objectContaining({ already_exists: true, reason: `Librarian "${b.name}" already exists.` })]);
  const badCreds = await apiError(a.client().post('admin/librarians/add', { librarian_name: 'other', url: '127.0.0.1', port, authenticator: `${a.name}:wrong` }));
  expect(badCreds.status).toBe(400);
  expect(badCreds.reason).toMatch(/^Cannot log in to "other" at http:\/\/127\.0\.0\.1:\d+: Incorrect username or password/);
  const wrongName = await apiError(a.client().post('admin/librarians/add', { librarian_name: 'other', url: '127.0.0.1', port, authenticator: `${a.name}:a-on-b-password` }));
  expect(wrongName.reason).toBe(`The Librarian at that address calls itself "${b.name}", not "other".`);
  expect(await a.client().post('admin/librarians/add', { librarian_name: 'offline', url: '127.0.0.1', port: 9, authenticator: 'u:p', check_connection: false })).toMatchObject({ success: true, ping_success: null });
  // Credentials in the URL would be stored and listed in clear: refused, on both catalogs, without echoing them.
  for (const [lib, url] of [
    [a, 'http://someone:secret-pw@127.0.0.1'],
    [b, 'someone:secret-pw@127.0.0.1'],
    [b, 'https://someone@127.0.0.1:8443/librarian'],
    [a, 'ftp://someone:secret-pw@127.0.0.1'],
  ] as const) {
    const withCreds = await apiError(lib.client().post('admin/librarians/add', { librarian_name: 'with-creds', url, port, authenticator: 'u:p', check_connection: false }));
    expect([withCreds.status, withCreds.reason]).toEqual([400, 'The peer URL contains credentials ("user:password@"); they would be stored and listed in clear.']);
    expect(withCreds.suggestedRemedy).toBe('Give the URL without them; our account on the peer goes in "authenticator" (librarian peers add --user NAME --password-stdin).');
    expect(JSON.stringify(withCreds.body)).not.toContain('secret-pw');
    expect(await (await lib.domain()).db.librarian.findUnique({ where: { name: 'with-creds' } })).toBeNull();
  }
  const notHttp = await apiError(b.client().post('admin/librarians/add', { librarian_name: 'ftp', url: 'ftp://127.0.0.1', port, authenticator: 'u:p', check_connection: false }));
  expect([notHttp.status, notHttp.reason]).toEqual([400, 'The peer URL\'s scheme "ftp" is not http or https.']);

  const list = await a.client().post<{ librarians: { name: string; available: boolean; enabled: boolean }[] }>('admin/librarians/list', {});
  expect(list.librarians.map((l) => [l.name, l.available, l.enabled])).toEqual([
    [b.name, true, true],
    ['offline', false, true],
  ]);
  const svc = await a.domain();
  const stored = await svc.db.librarian.findUniqueOrThrow({ where: { name: b.name } });
  expect(stored.authenticator).not.toContain('a-on-b-password');
  expect(stored.authenticator).toMatch(/^v1:/);
  // A row stored before such URLs were refused is listed without its credentials.
  await svc.db.librarian.create({ data: { name: 'legacy', url: 'http://someone:secret-pw@127.0.0.1', port: 9, authenticator: stored.authenticator } });
  const listed = await a.client().post<{ librarians: { name: string; url: string }[] }>('admin/librarians/list', { ping: false });
  expect(listed.librarians.find((l) => l.name === 'legacy')?.url).toBe('http://127.0.0.1');
  expect(JSON.stringify(listed)).not.toContain('secret-pw');
  await svc.db.librarian.delete({ where: { name: 'legacy' } });

  const keep = await apiError(a.client().post('admin/librarians/remove', { librarian_name: b.name }));
  expect(keep.status).toBe(409);
  expect(keep.reason).toMatch(/files are recorded as copied to/);
  expect(await a.client().post('admin/librarians/remove', { librarian_name: 'offline' })).toMatchObject({ success: true });
  // 400 "Librarian ... does not exist" is what the v2 Python client turns into its LibrarianError.
  const gone = await apiError(a.client().post('admin/librarians/remove', { librarian_name: 'offline' }));
  expect([gone.status, gone.reason]).toEqual([400, 'Librarian "offline" does not exist.']);
  expect((await apiError(a.client().post('admin/librarians/transfer_status/change', { librarian_name: 'offline', transfers_enabled: false }))).status).toBe(400);
});

test('direction: a peer where our account may not upload is only received from; a 403 from a peer gives the batch up at once', async () => {
  // B's account on A is CALLBACK: B registered A (in beforeAll) as a peer it only receives from.
  type Listed = { librarians: { name: string; enabled: boolean; sending?: boolean }[] };
  expect((await b.client().post<Listed>('admin/librarians/list', { ping: false })).librarians).toEqual([expect.objectContaining({ name: a.name, sending: false })]);
  expect((await a.client().post<Listed>('admin/librarians/list', { ping: false })).librarians).toEqual([expect.objectContaining({ name: b.name, sending: true })]);
  const refused = await apiError(b.client().post('admin/clone/send', { peer: a.name }));
  expect([refused.status, refused.reason]).toEqual([409, `We do not send to "${a.name}": it was added as a peer we only receive from.`]);
  const listed = await b.cli(['peers', 'list', '--no-ping']);
  expect(listed.stdout).toMatch(new RegExp(`${a.name}\\s+\\S+\\s+\\?\\s+no \\(receive only\\)`));

  // Sending anyway (--send) to a peer where our account may not upload: the 403 is not retried.
  await b.client().post('admin/librarians/remove', { librarian_name: a.name, remove_remote_instances: true });
  const added = await b.cli(['peers', 'add', a.name, '--url', '127.0.0.1', '--port', new URL(a.url).port, '--user', b.name, '--password', 'b-on-a-password', '--send', '--json']);
  expect([added.status, added.json()]).toEqual([0, expect.objectContaining({ success: true, sending: true })]);
  const files = await fill(b, { files: 2, books: 0, prefix: 'refused' });
  const sent = await b.client().post<{ batch_ids: string[] }>('admin/clone/send', { peer: a.name });
  expect(sent.batch_ids).toHaveLength(1);
  const t = await testTemporalClient();
  try {
    // FAST_CLONE gives up on a retried step after 10 minutes: a result well before proves no retry.
    const result = await t.workflow.getHandle(sent.batch_ids[0]!).result();
    expect(result).toMatchObject({ outcome: 'gave-up', reason: expect.stringMatching(/^clone\/batch_stage on .* was refused: .*(permission|READAPPEND)/i) });
  } finally {
    await t.connection.close();
  }
  const svc = await b.domain();
  const transfers = await svc.db.outgoingTransfer.findMany({ where: { destination: a.name, fileName: { in: files.map((f) => f.name) } } });
  expect(transfers.map((x) => [x.status, x.failureReason])).toEqual(files.map(() => ['FAILED', expect.stringMatching(/was refused/)]));
  expect(await svc.transfers.outgoing.inFlightBatches(a.name)).toEqual([]);
  // The CLI says which way it decided when nothing is given: receive only, with why.
  await b.client().post('admin/librarians/remove', { librarian_name: a.name, remove_outgoing_transfers: true, remove_remote_instances: true });
  const defaulted = await b.cli(['peers', 'add', a.name, '--url', '127.0.0.1', '--port', new URL(a.url).port, '--user', b.name, '--password', 'b-on-a-password']);
  expect([defaulted.status, defaulted.stdout]).toEqual([0, `Added peer "${a.name}" (it answered): we only receive from it (our account there may not upload; --send to send anyway).\n`]);
}, 180_000);
