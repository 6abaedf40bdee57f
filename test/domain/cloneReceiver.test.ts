/**
 * What a source may report about the clones it sends here (domain/clone/receiver), on each
 * catalog: the transition table, STAGED left for the receive workflow to record, and uploads out
 * of reach of the clone and checkin endpoints.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Principal } from '../../src/domain/users/users';
import { workflowIds } from '../../src/shared/workflowIds';
import { testDomain, type TestDomain } from '../support/domain';
import { librarianError } from '../support/http';
import { PROVIDERS } from '../support/librarian';

describe.each(PROVIDERS)('receiving clones on %s', (provider) => {
  let t: TestDomain;
  const source: Principal = { username: 'site-a', level: 'READAPPEND' };
  beforeAll(async () => {
    t = await testDomain(provider);
    await t.domain.peers.add({ name: 'site-a', url: '127.0.0.1', port: 9, authenticator: 'x:y', checkConnection: false });
  });
  afterAll(() => t.close());

  async function staged(n: number): Promise<number[]> {
    const r = await t.domain.cloneReceiver.batchStage(
      source,
      'site-a',
      Array.from({ length: n }, (_, i) => ({ uploadSize: 4, uploadChecksum: `md5:::${'4'.repeat(32)}`, destination: `recv/${randomUUID()}`, uploader: 'u', sourceTransferId: 100 + i })),
    );
    expect(r.created).toHaveLength(n);
    return r.created;
  }

  test('the source reports by the table; STAGED is checked and left for the receive workflow to record', async () => {
    const { cloneReceiver, transfers } = t.domain;
    const [a, b, c] = await staged(3);
    expect(await cloneReceiver.ongoing(source, a!)).toMatchObject({ from: 'INITIATED', to: 'ONGOING', changed: true });
    const up = await cloneReceiver.updateIncoming(source, [a!, b!], 'STAGED');
    expect(up).toMatchObject({ modified: [a, b], unmodified: [], statuses: { [a!]: 'STAGED', [b!]: 'STAGED' } });
    expect(up.changed.map((x) => [x.id, x.from, x.to])).toEqual([
      [a, 'ONGOING', 'STAGED'],
      [b, 'INITIATED', 'STAGED'],
    ]);
    expect((await transfers.incoming.get(a!)).status).toBe('ONGOING');
    expect(await cloneReceiver.markStaged(a!)).toBe('STAGED');
    expect(await cloneReceiver.markStaged(a!)).toBe('STAGED');
    expect((await transfers.incoming.get(a!)).status).toBe('STAGED');
    // Back, and COMPLETED, are refused; CANCELLED ends the transfer and frees its staging.
    const back = await cloneReceiver.updateIncoming(source, [a!], 'ONGOING');
    expect(back).toMatchObject({ modified: [], unmodified: [a], reasons: [`Incoming transfer ${a}: cannot go from STAGED to ONGOING.`], statuses: { [a!]: 'STAGED' } });
    const { dir } = await transfers.incoming.staging(await transfers.incoming.get(c!));
    const cancelled = await cloneReceiver.updateIncoming(source, [c!], 'CANCELLED');
    expect(cancelled.changed).toEqual([{ id: c, from: 'INITIATED', to: 'CANCELLED', changed: true }]);
    expect(await transfers.incoming.get(c!)).toMatchObject({ status: 'CANCELLED', failureReason: 'The source set it CANCELLED.' });
    expect(existsSync(dir)).toBe(false);
    const staging = await librarianError(cloneReceiver.stagedBySource(source, c!));
    expect([staging.status, staging.reason]).toEqual([406, `Incoming transfer ${c} is CANCELLED, not ONGOING.`]);
  });

  test("another account cannot touch a peer's clones, and no peer reaches an upload", async () => {
    const [a] = await staged(1);
    const mallory: Principal = { username: 'mallory', level: 'READAPPEND' };
    expect((await librarianError(t.domain.cloneReceiver.ongoing(mallory, a!))).status).toBe(403);
    expect(await t.domain.cloneReceiver.updateIncoming(mallory, [a!], 'FAILED')).toMatchObject({ unmodified: [a], statuses: { [a!]: null } });
    const store = await t.domain.stores.pickForIngest(1);
    const upload = await t.domain.transfers.incoming.stage({
      store,
      stagingName: randomUUID(),
      uploader: 'site-a',
      source: 'site-a',
      createdBy: 'site-a',
      uploadName: 'u.dat',
      destination: 'uploads/u.dat',
      size: 1,
      checksum: `md5:::${'5'.repeat(32)}`,
      workflowId: workflowIds(t.config.name).upload('uploads/u.dat'),
    });
    const admin: Principal = { username: 'admin', level: 'ADMIN' };
    for (const who of [source, admin]) {
      expect((await librarianError(t.domain.cloneReceiver.ongoing(who, upload.id))).status).toBe(404);
      expect(await t.domain.cloneReceiver.updateIncoming(who, [upload.id], 'FAILED')).toMatchObject({ unmodified: [upload.id], reasons: [`Incoming transfer ${upload.id}: not found.`] });
      expect(await t.domain.cloneReceiver.statusOfIncoming(who, [upload.id])).toEqual({ [upload.id]: null });
    }
    expect((await t.domain.transfers.incoming.get(upload.id)).status).toBe('INITIATED');
  });
});
