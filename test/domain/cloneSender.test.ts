/**
 * The sending side of a batch when its peer is gone (domain/clone/sender), on each catalog: a
 * call to the peer fails as an error to retry, and giving up fails the batch's files (offered again
 * by the next planning) and alerts the operators.
 */
import { randomUUID } from 'node:crypto';
import { LibrarianError } from '../../src/shared/errors';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';
import { freePort } from '../support/ports';
import { fakeSlack, type FakeSlack } from '../support/slack';

let slack: FakeSlack;
beforeAll(async () => {
  slack = await fakeSlack();
});
afterAll(() => slack.close());

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
