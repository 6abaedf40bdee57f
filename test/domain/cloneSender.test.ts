/**
 * The sending side of a batch (domain/clone/sender), on each catalog. When its peer is gone: a
 * call to the peer fails as an error to retry, and giving up fails the batch's files (offered again
 * by the next planning) and alerts the operators. When a source copy is damaged: that item fails
 * alone and becomes a finding, the rest of the batch goes on.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LibrarianError } from '../../src/shared/errors';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';
import { standInServer, type StandInCall } from '../support/http';
import { freePort } from '../support/ports';
import { fakeSlack, type FakeSlack } from '../support/slack';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await fakeSlack();
});
afterAll(() => slack.close());

/** A batch of files in our store, staged at the destination (as clone/batch_stage leaves it). */
async function stagedBatch(t: TestDomain, peer: string, staging: string, contents: string[]) {
  const { db, transfers, stores } = t.domain;
  const store = await db.store.findUniqueOrThrow({ where: { name: 'main' } });
  const batchId = `clone/${t.config.name}/${peer}/${randomUUID()}-0`;
  const items = [];
  for (const [i, body] of contents.entries()) {
    const name = `src/${randomUUID()}`;
    const sourcePath = stores.local(store).storePathFor(name);
    mkdirSync(path.dirname(sourcePath), { recursive: true });
    writeFileSync(sourcePath, body);
    const checksum = `md5:::${createHash('md5').update(body).digest('hex')}`;
    const f = await db.file.create({ data: { name, createTime: new Date(), size: BigInt(body.length), checksum, uploader: 'u', source: 'u', instances: { create: { path: name, storeId: store.id, checksumTime: new Date() } } }, include: { instances: true } });
    await transfers.outgoing.record(db, [{ destination: peer, fileName: name, size: body.length, checksum, instanceId: f.instances[0]!.id, batchId }], 'ONGOING');
    const [id] = await transfers.outgoing.pending(batchId).then((ids) => ids.slice(-1));
    const destPath = path.join(staging, randomUUID(), path.basename(name));
    mkdirSync(path.dirname(destPath), { recursive: true });
    await transfers.outgoing.setDestination(id!, { remoteTransferId: 1000 + i, sourcePath, destPath });
    items.push({ id: id!, name, sourcePath, destPath, instanceId: f.instances[0]!.id, body });
  }
  return { batchId, items };
}

describe.each(PROVIDERS)('sending to a peer that is gone, on %s', (provider) => {
  let t: TestDomain;
  const peer = 'gone';
  beforeAll(async () => {
    t = await testDomain(provider, { config: { notifications: { slackWebhookUrl: slack.url } } });
    await t.domain.peers.add({ name: peer, url: '127.0.0.1', port: await freePort(), authenticator: 'us:pw', checkConnection: false });
  });
  afterAll(() => t.close());

  async function batch(): Promise<string> {
    const { db, transfers } = t.domain;
    const store = await db.store.findUniqueOrThrow({ where: { name: 'main' } });
    const batchId = `clone/${t.config.name}/${peer}/${randomUUID()}-0`;
    for (let i = 0; i < 2; i++) {
      const name = `gone/${randomUUID()}`;
      const f = await db.file.create({ data: { name, createTime: new Date(), size: 4n, checksum: `md5:::${'3'.repeat(32)}`, uploader: 'u', source: 'u', instances: { create: { path: name, storeId: store.id } } }, include: { instances: true } });
      await transfers.outgoing.record(db, [{ destination: peer, fileName: name, size: 4, checksum: f.checksum, instanceId: f.instances[0]!.id, batchId }], 'INITIATED');
    }
    return batchId;
  }

  test('calls to it fail as errors to retry, never as refusals', async () => {
    const batchId = await batch();
    const e = await t.domain.cloneSender.stageBatch(batchId).catch((x: Error) => x);
    expect(e).toBeInstanceOf(Error);
    expect(e).not.toBeInstanceOf(LibrarianError);
    expect((e as Error).message).toMatch(new RegExp(`^clone/batch_stage on ${peer}: Cannot reach the Librarian at http://127\\.0\\.0\\.1:\\d+/api/v2/clone/batch_stage`));
  });

  test('giving up fails what is left of the batch, alerts the operators, and the files are offered again', async () => {
    const batchId = await batch();
    const before = await t.domain.clonePlanner.countCandidates(peer);
    const ids = await t.domain.transfers.outgoing.pending(batchId);
    expect(await t.domain.cloneSender.abandon(batchId, 'gave up after 604800 s of retries')).toBe(2);
    const rows = await t.domain.db.outgoingTransfer.findMany({ where: { id: { in: ids } } });
    expect(rows.map((r) => [r.status, r.failureReason])).toEqual([
      ['FAILED', 'gave up after 604800 s of retries'],
      ['FAILED', 'gave up after 604800 s of retries'],
    ]);
    expect(slack.alerts).toContain(`:rotating_light: [${t.config.name}] Clone batch ${batchId} to ${peer} gave up on 2 files; they will be offered again. Reason: gave up after 604800 s of retries`);
    expect(await t.domain.clonePlanner.countCandidates(peer)).toBe(before + 2);
    expect(await t.domain.transfers.outgoing.inFlightBatches(peer)).not.toContain(batchId);
  });
});

describe.each(PROVIDERS)('sources that are damaged, on %s', (provider) => {
  let t: TestDomain;
  let staging: string;
  const peer = 'dest';
  beforeAll(async () => {
    t = await testDomain(provider, { config: { notifications: { slackWebhookUrl: slack.url } } });
    // Unreachable: telling it is best effort, and its receive workflows find out on their own.
    await t.domain.peers.add({ name: peer, url: '127.0.0.1', port: await freePort(), authenticator: 'us:pw', checkConnection: false });
    staging = mkdtempSync(path.join(os.tmpdir(), 'dest-staging-'));
  });
  afterAll(() => t.close());


  test('a local copy with one source gone: the others are copied, the lost one fails alone, is recorded and taken out of use', async () => {
    const { batchId, items } = await stagedBatch(t, peer, staging, ['first file\n', 'second, soon gone\n', 'third\n']);
    rmSync(items[1]!.sourcePath);
    const r = await t.domain.cloneSender.copyLocally(batchId);
    expect(r).toMatchObject({ bytes: items[0]!.body.length + items[2]!.body.length, lost: 1 });
    expect(readFileSync(items[0]!.destPath, 'utf8')).toBe(items[0]!.body);
    expect(readFileSync(items[2]!.destPath, 'utf8')).toBe(items[2]!.body);
    expect(existsSync(items[1]!.destPath)).toBe(false);
    const rows = await t.domain.db.outgoingTransfer.findMany({ where: { batchId }, orderBy: { id: 'asc' } });
    expect(rows.map((x) => [x.status, x.failureReason])).toEqual([
      ['ONGOING', null],
      ['FAILED', `the source copy is lost: the data is missing from ${items[1]!.sourcePath}`],
      ['ONGOING', null],
    ]);
    const inst = await t.domain.db.instance.findUniqueOrThrow({ where: { id: items[1]!.instanceId } });
    expect(inst.available).toBe(false);
    const open = await t.domain.findings.openFor(items[1]!.instanceId);
    expect(open.map((f) => [f.kind, f.path, f.detail])).toEqual([['LOST', items[1]!.name, `the data is missing from ${items[1]!.sourcePath}`]]);
    expect(slack.alerts.some((a) => a.includes(items[1]!.name))).toBe(true);

    // A retry after a crash copies nothing twice: what is there in full stays.
    const before = statSync(items[0]!.destPath).mtimeMs;
    writeFileSync(items[2]!.destPath, 'thi'); // a copy cut short
    const again = await t.domain.cloneSender.copyLocally(batchId);
    expect(again).toMatchObject({ bytes: items[0]!.body.length + items[2]!.body.length, lost: 0 });
    expect(statSync(items[0]!.destPath).mtimeMs).toBe(before);
    expect(readFileSync(items[2]!.destPath, 'utf8')).toBe(items[2]!.body);
  });

  test('every source gone: no Globus task is submitted and each item fails on its own', async () => {
    const { batchId, items } = await stagedBatch(t, peer, staging, ['a\n', 'b\n']);
    for (const i of items) rmSync(i.sourcePath);
    expect(await t.domain.cloneSender.submitToGlobus(batchId, 'sub-1', 'dest-endpoint', '/')).toEqual({ taskId: null, lost: 2 });
    const rows = await t.domain.db.outgoingTransfer.findMany({ where: { batchId }, orderBy: { id: 'asc' } });
    expect(rows.map((x) => x.status)).toEqual(['FAILED', 'FAILED']);
    expect(await t.domain.transfers.outgoing.pending(batchId)).toEqual([]);
  });

  test('files the destination rejected on arrival: our copy is re-verified, and a corrupt one is recorded and taken out of use', async () => {
    const { batchId, items } = await stagedBatch(t, peer, staging, ['intact\n', 'will flip\n', 'fine but late\n']);
    writeFileSync(items[1]!.sourcePath, 'will flop\n');
    const rows = await t.domain.db.outgoingTransfer.findMany({ where: { batchId }, orderBy: { id: 'asc' } });
    await t.domain.transfers.outgoing.reported(rows[0]!, 'FAILED', 'checksum mismatch');
    await t.domain.transfers.outgoing.reported(rows[1]!, 'FAILED', 'checksum mismatch');
    await t.domain.transfers.outgoing.failed([rows[2]!.id], 'gave up after 604800 s of retries');
    expect(await t.domain.cloneSender.verifyRejected(batchId)).toEqual({ checked: 2, damaged: 1 });
    const insts = await t.domain.db.instance.findMany({ where: { id: { in: items.map((i) => i.instanceId) } }, orderBy: { id: 'asc' } });
    expect(insts.map((i) => i.available)).toEqual([true, false, true]);
    const open = await t.domain.findings.openFor(items[1]!.instanceId);
    expect(open.map((f) => f.kind)).toEqual(['CORRUPT']);
    expect(await t.domain.findings.openFor(items[0]!.instanceId)).toEqual([]);
  });
});

describe.each(PROVIDERS)('a destination that rejected files on arrival, heard first through checkin/status, on %s', (provider) => {
  let t: TestDomain;
  let staging: string;
  const peer = 'dest';
  const calls: StandInCall[] = [];
  // What it says of our items: FAILED with its reason (this version) or without one (v2).
  let reasons: Record<string, string | null> | undefined;
  const server = standInServer(calls, (endpoint, body, reply) => {
    if (endpoint !== 'checkin/status') return reply(404, { detail: 'Not Found' });
    const ids = body.destination_transfer_ids as number[];
    return reply(200, {
      source_transfer_status: {},
      destination_transfer_status: Object.fromEntries(ids.map((id) => [String(id), 4])),
      ...(reasons ? { destination_transfer_reasons: Object.fromEntries(ids.map((id) => [String(id), reasons![String(id)] ?? null])) } : {}),
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t = await testDomain(provider);
    const port = (server.address() as { port: number }).port;
    await t.domain.peers.add({ name: peer, url: 'http://127.0.0.1', port, authenticator: 'us:pw', checkConnection: false });
    staging = mkdtempSync(path.join(os.tmpdir(), 'dest-staging-'));
  });
  afterAll(async () => {
    server.close();
    await t.close();
  });

  test('its reason is recorded as its callback gives it, and our copies are checked again either way', async () => {
    const { batchId } = await stagedBatch(t, peer, staging, ['one\n', 'two\n']);
    reasons = { '1000': 'Checksum mismatch: the upload declared md5:::x, the staged data hashes to md5:::y.' };
    expect(await t.domain.cloneSender.reconcile(batchId)).toEqual({ pending: [] });
    const rows = await t.domain.db.outgoingTransfer.findMany({ where: { batchId }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.status, r.failureReason])).toEqual([
      ['FAILED', `${peer} reported FAILED: Checksum mismatch: the upload declared md5:::x, the staged data hashes to md5:::y.`],
      ['FAILED', `${peer} reported FAILED (it gave no reason)`],
    ]);
    expect(await t.domain.cloneSender.verifyRejected(batchId)).toEqual({ checked: 2, damaged: 0 });
  });

  test('a v2 destination gives no reasons: still reported FAILED, and checked', async () => {
    const { batchId } = await stagedBatch(t, peer, staging, ['three\n']);
    reasons = undefined;
    await t.domain.cloneSender.reconcile(batchId);
    const [row] = await t.domain.db.outgoingTransfer.findMany({ where: { batchId } });
    expect([row!.status, row!.failureReason]).toEqual(['FAILED', `${peer} reported FAILED (it gave no reason)`]);
    expect(await t.domain.cloneSender.verifyRejected(batchId)).toEqual({ checked: 1, damaged: 0 });
  });
});
