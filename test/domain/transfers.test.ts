/**
 * The one owner of transfer state (domain/transfers), on each catalog: named transitions, their
 * guards, staging, and the receiving claim that keeps two API processes from writing one upload.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Prisma } from '../../src/domain/catalog/db';
import type { IncomingTransfer } from '../../src/domain/transfers/incoming';
import { librarianError } from '../support/http';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';


describe.each(PROVIDERS)('transfers on %s', (provider) => {
  let t: TestDomain;
  beforeAll(async () => {
    t = await testDomain(provider);
  });
  afterAll(() => t.close());

  async function stage(destination = `in/${randomUUID()}.dat`, stagingName = randomUUID()): Promise<IncomingTransfer> {
    const { domain } = t;
    const store = { row: await domain.stores.row('main'), store: domain.stores.local(await domain.stores.row('main')) };
    return domain.transfers.incoming.stage({
      store,
      stagingName,
      uploader: 'pipeline',
      source: 'alice',
      createdBy: 'alice',
      uploadName: path.posix.basename(destination),
      destination,
      size: 10,
      checksum: `md5:::${'0'.repeat(32)}`,
    });
  }

  test('staging makes one INITIATED transfer and its directory; staging again with the same name finds it', async () => {
    const name = randomUUID();
    const a = await stage('in/a.dat', name);
    const b = await stage('in/a.dat', name);
    expect(b).toEqual(a);
    expect(a).toMatchObject({ status: 'INITIATED', stagingPath: name, storePath: 'in/a.dat', uploadName: 'a.dat', createdBy: 'alice' });
    const { dir, location } = await t.domain.transfers.incoming.staging(a);
    expect(dir).toBe(path.join(t.dir, 'stores/main/staging', name));
    expect(location).toBe(path.join(dir, 'a.dat'));
    expect(existsSync(dir)).toBe(true);
    expect(await t.domain.db.incomingTransfer.count({ where: { stagingPath: name } })).toBe(1);
  });

  test('incoming: named transitions follow the table; being there already is no change; the others are refused', async () => {
    const { incoming } = t.domain.transfers;
    const x = await stage();
    expect(await incoming.ongoing(x.id, 'http')).toEqual({ id: x.id, from: 'INITIATED', to: 'ONGOING', changed: true });
    expect(await incoming.ongoing(x.id)).toEqual({ id: x.id, from: 'ONGOING', to: 'ONGOING', changed: false });
    expect(await incoming.staged(x.id)).toEqual({ id: x.id, from: 'ONGOING', to: 'STAGED', changed: true });
    const back = await librarianError(incoming.ongoing(x.id));
    expect([back.status, back.reason]).toEqual([406, `Transfer ${x.id} is STAGED; it cannot become ONGOING.`]);
    await t.domain.db.$transaction((tx: Prisma.TransactionClient) => incoming.completed(tx, x.id));
    expect(await incoming.get(x.id)).toMatchObject({ status: 'COMPLETED', transferMethod: 'http', endTime: expect.any(Date) });
    const again = await librarianError(incoming.staged(x.id));
    expect([again.status, again.reason]).toEqual([406, `Transfer ${x.id} is COMPLETED; it cannot become STAGED.`]);
    // COMPLETED only from STAGED.
    const y = await stage();
    expect((await librarianError(t.domain.db.$transaction((tx: Prisma.TransactionClient) => incoming.completed(tx, y.id)))).reason).toBe(`Transfer ${y.id} is INITIATED; it cannot become COMPLETED.`);
    expect((await librarianError(incoming.get(999_999))).status).toBe(404);
  });

  test('incoming: a status the caller read that no longer holds is read again, not trusted', async () => {
    const { incoming } = t.domain.transfers;
    const x = await stage();
    await incoming.ongoing(x.id);
    // Read as INITIATED before the data began to arrive: the transition still says where it came from.
    expect(await incoming.staged(x.id, undefined, 'INITIATED')).toEqual({ id: x.id, from: 'ONGOING', to: 'STAGED', changed: true });
    // Read as STAGED, but failed since: refused, the transfer left FAILED.
    await incoming.failed(x.id, 'cancelled by an operator', 409);
    const late = await librarianError(t.domain.db.$transaction((tx: Prisma.TransactionClient) => incoming.completed(tx, x.id, 'STAGED')));
    expect([late.status, late.reason]).toEqual([406, `Transfer ${x.id} is FAILED; it cannot become COMPLETED.`]);
    expect(await incoming.get(x.id)).toMatchObject({ status: 'FAILED', failureReason: 'cancelled by an operator' });
    // Read right: one conditional update.
    const y = await stage();
    expect(await incoming.staged(y.id, 'copy', 'INITIATED')).toEqual({ id: y.id, from: 'INITIATED', to: 'STAGED', changed: true });
    expect(await incoming.get(y.id)).toMatchObject({ status: 'STAGED', transferMethod: 'copy' });
  });

  test('incoming: two transitions at once change the transfer once', async () => {
    const x = await stage();
    const results = await Promise.all([t.domain.transfers.incoming.staged(x.id), t.domain.transfers.incoming.staged(x.id)]);
    expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
    expect((await t.domain.transfers.incoming.get(x.id)).status).toBe('STAGED');
  });

  test('incoming: failing records why, removes staging, and leaves a completed transfer alone', async () => {
    const { incoming } = t.domain.transfers;
    const x = await stage();
    const { dir } = await incoming.staging(x);
    await incoming.failed(x.id, 'checksum mismatch', 406);
    expect(await incoming.get(x.id)).toMatchObject({ status: 'FAILED', failureReason: 'checksum mismatch', failureStatus: 406, endTime: expect.any(Date) });
    expect(existsSync(dir)).toBe(false);
    await incoming.failed(x.id, 'again', 409);
    expect(await incoming.get(x.id)).toMatchObject({ status: 'FAILED', failureReason: 'checksum mismatch', failureStatus: 406 });
    const y = await stage();
    await incoming.failed(y.id, 'the source gave up', 409, 'CANCELLED');
    expect(await incoming.get(y.id)).toMatchObject({ status: 'CANCELLED', failureReason: 'the source gave up' });
    const z = await stage();
    await incoming.staged(z.id);
    await t.domain.db.$transaction((tx: Prisma.TransactionClient) => incoming.completed(tx, z.id));
    await incoming.failed(z.id, 'too late', 409);
    expect(await incoming.get(z.id)).toMatchObject({ status: 'COMPLETED', failureReason: null });
  });

  test('incoming: one request at a time may write a transfer, in any process; a claim that is not renewed lapses', async () => {
    const { incoming } = t.domain.transfers;
    const x = await stage();
    const claim = await incoming.claimReceiving(x.id);
    const busy = await librarianError(incoming.claimReceiving(x.id));
    expect([busy.status, busy.reason]).toEqual([409, `Another request is already sending data for transfer ${x.id}.`]);
    await claim.release();
    const second = await incoming.claimReceiving(x.id);
    // A process that died holding a claim: its lease runs out.
    await t.domain.db.incomingTransfer.update({ where: { id: x.id }, data: { receivingUntil: new Date(Date.now() - 1000) } });
    const third = await incoming.claimReceiving(x.id);
    await third.release();
    await second.release();
    expect((await incoming.get(x.id)).receivingUntil).toBeNull();
  });

  describe('outgoing', () => {
    let peerId: number;
    const peer = 'peer-out';
    beforeAll(async () => {
      peerId = (await t.domain.db.librarian.create({ data: { name: peer, url: '127.0.0.1', port: 9, authenticator: 'x' } })).id;
    });

    async function record(n: number, batchId = randomUUID()): Promise<number[]> {
      const { db, transfers } = t.domain;
      const store = await db.store.findUniqueOrThrow({ where: { name: 'main' } });
      const names = Array.from({ length: n }, () => `out/${randomUUID()}`);
      for (const name of names) {
        await db.file.create({ data: { name, createTime: new Date(), size: 5n, checksum: `md5:::${'1'.repeat(32)}`, uploader: 'u', source: 'u', instances: { create: { path: name, storeId: store.id } } } });
      }
      const instances = await db.instance.findMany({ where: { fileName: { in: names } } });
      await transfers.outgoing.record(db, instances.map((i) => ({ destination: peer, fileName: i.fileName, size: 5, checksum: `md5:::${'1'.repeat(32)}`, instanceId: i.id, batchId })), 'INITIATED');
      return (await db.outgoingTransfer.findMany({ where: { batchId }, orderBy: { id: 'asc' } })).map((o) => o.id);
    }

    const statuses = async (ids: number[]) => (await t.domain.db.outgoingTransfer.findMany({ where: { id: { in: ids } }, orderBy: { id: 'asc' } })).map((o) => o.status);

    test('moves apply only from the statuses the table allows', async () => {
      const { outgoing } = t.domain.transfers;
      const ids = await record(4);
      expect(await outgoing.ongoing(ids, 'local')).toBe(4);
      expect(await outgoing.failed([ids[0]!], 'refused')).toBe(1);
      expect(await outgoing.cancelled([ids[1]!], 'received from elsewhere')).toBe(1);
      expect(await outgoing.staged(ids)).toBe(2);
      expect(await outgoing.ongoing(ids)).toBe(0);
      expect(await outgoing.failed([ids[0]!], 'twice')).toBe(0);
      expect(await statuses(ids)).toEqual(['FAILED', 'CANCELLED', 'STAGED', 'STAGED']);
      const first = await outgoing.get(ids[0]!);
      expect(first).toMatchObject({ failureReason: 'refused', transferMethod: 'local', endTime: expect.any(Date) });
      const batchId = first.batchId!;
      expect(await outgoing.pending(batchId)).toEqual(ids.slice(2));
      expect(await outgoing.inFlightBatches(peer)).toContain(batchId);
    });

    test('a confirmation is a fact: COMPLETED with one RemoteInstance, even after this side gave up', async () => {
      const { outgoing } = t.domain.transfers;
      const [id] = await record(1);
      await outgoing.failed([id!], 'gave up');
      await outgoing.confirmed(id!, peerId, 7, 'late callback');
      await outgoing.confirmed(id!, peerId, 7, 'repeated callback');
      const o = await outgoing.get(id!);
      expect(o).toMatchObject({ status: 'COMPLETED', failureReason: null });
      expect(await t.domain.db.remoteInstance.findMany({ where: { fileName: o.fileName } })).toEqual([
        expect.objectContaining({ librarianId: peerId, storeId: 7, sender: t.config.name }),
      ]);
    });

    test('what the destination reports goes by the table, and never sets COMPLETED', async () => {
      const { outgoing } = t.domain.transfers;
      const [a, b] = await record(2);
      await outgoing.reported(await outgoing.get(a!), 'ONGOING');
      await outgoing.reported(await outgoing.get(a!), 'FAILED', 'Checksum mismatch');
      expect(await outgoing.get(a!)).toMatchObject({ status: 'FAILED', failureReason: `${peer} reported FAILED: Checksum mismatch` });
      const back = await librarianError(outgoing.reported(await outgoing.get(a!), 'ONGOING'));
      expect(back.reason).toBe(`Outgoing transfer ${a}: cannot go from FAILED to ONGOING.`);
      const done = await librarianError(outgoing.reported(await outgoing.get(b!), 'COMPLETED'));
      expect(done.reason).toBe(`Outgoing transfer ${b}: cannot go from INITIATED to COMPLETED.`);
      expect(await statuses([a!, b!])).toEqual(['FAILED', 'INITIATED']);
      expect(await outgoing.failAllTo(peer, 'peer removed')).toBeGreaterThanOrEqual(1);
      expect((await outgoing.get(b!)).status).toBe('FAILED');
    });
  });

  test('local copies between stores have the same transitions', async () => {
    const { db, transfers } = t.domain;
    const store = await db.store.findUniqueOrThrow({ where: { name: 'main' } });
    const name = `copy/${randomUUID()}`;
    const file = await db.file.create({ data: { name, createTime: new Date(), size: 1n, checksum: 'md5:::00000000000000000000000000000000', uploader: 'u', source: 'u', instances: { create: { path: name, storeId: store.id } } }, include: { instances: true } });
    const src = file.instances[0]!;
    const c = await transfers.localCopies.open(src, store.id);
    expect(await transfers.localCopies.open(src, store.id)).toEqual(c);
    await transfers.localCopies.ongoing(c.id);
    await transfers.localCopies.staged(c.id);
    await transfers.localCopies.ongoing(c.id);
    await db.$transaction((tx: Prisma.TransactionClient) => transfers.localCopies.completed(tx, c.id, src.id));
    await transfers.localCopies.failed(c.id, 'too late');
    expect(await db.cloneTransfer.findUniqueOrThrow({ where: { id: c.id } })).toMatchObject({ status: 'COMPLETED', destinationInstanceId: src.id, failureReason: null });
  });
});
