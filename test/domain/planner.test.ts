/**
 * Choosing what to send to a peer (domain/clone/planner), on each catalog: batches within the
 * in-flight caps, even when several peers plan at the same moment; a run planned twice is the
 * same run; files the peer has or that are on their way are not chosen again.
 */
import { randomUUID } from 'node:crypto';
import { testDomain, type TestDomain } from '../support/domain';
import { PROVIDERS } from '../support/librarian';

describe.each(PROVIDERS)('clone planning on %s', (provider) => {
  let t: TestDomain;
  const peers = ['p0', 'p1', 'p2', 'p3'];

  beforeAll(async () => {
    t = await testDomain(provider, {
      config: { clone: { batchSize: 2, maxBatchesPerPeer: 1, maxBatchesTotal: 2, peers: { pref: { maxBatchesPerPeer: 3, maxAgeDays: 1, preferredStore: 'second' } } } },
      stores: [
        { name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' },
        { name: 'second', stagingPath: 'stores/second/staging', storePath: 'stores/second/store' },
      ],
    });
    for (const name of [...peers, 'pref', 'site_a', 'siteXa']) await t.domain.db.librarian.create({ data: { name, url: '127.0.0.1', port: 9, authenticator: 'x' } });
  });
  afterAll(() => t.close());

  /** Files with an instance on `stores`, created `ageDays` ago. */
  async function files(n: number, opts: { stores?: string[]; ageDays?: number; prefix?: string } = {}): Promise<string[]> {
    const { db } = t.domain;
    const storeIds = await Promise.all((opts.stores ?? ['main']).map(async (s) => (await db.store.findUniqueOrThrow({ where: { name: s } })).id));
    const names = Array.from({ length: n }, (_, i) => `${opts.prefix ?? 'plan'}/${String(i).padStart(3, '0')}-${randomUUID()}`);
    for (const [i, name] of names.entries()) {
      await db.file.create({
        data: {
          name,
          createTime: new Date(Date.now() - (opts.ageDays ?? 0) * 86_400_000 + i),
          size: BigInt(100 + i),
          checksum: `md5:::${'2'.repeat(32)}`,
          uploader: 'u',
          source: 'u',
          instances: { create: storeIds.map((storeId) => ({ path: name, storeId })) },
        },
      });
    }
    return names;
  }

  async function clear(): Promise<void> {
    await t.domain.db.outgoingTransfer.deleteMany({});
    await t.domain.db.remoteInstance.deleteMany({});
    await t.domain.db.file.deleteMany({});
  }

  test('sending steps of four peers at once: two batches in all, the others wait for the overall cap and say why', async () => {
    await clear();
    await files(6);
    const { clonePlanner } = t.domain;
    const results = await Promise.all(peers.map((p) => clonePlanner.planBatches(p, `run-${randomUUID()}`)));
    const started = results.filter((r) => r.batches.length > 0);
    expect(started.map((r) => r.batches.map((b) => b.files))).toEqual([[2], [2]]);
    const waiting = results.map((r, i) => ({ peer: peers[i]!, r })).filter((x) => x.r.batches.length === 0);
    expect(waiting).toHaveLength(2);
    for (const { peer, r } of waiting) expect(r.waiting).toBe(`in-flight cap (0/1 to ${peer}, 2/2 in all)`);
    const active = await t.domain.db.outgoingTransfer.findMany({ where: { status: { in: ['INITIATED', 'ONGOING', 'STAGED'] } } });
    expect(active).toHaveLength(4);
    expect(new Set(active.map((o) => o.batchId)).size).toBe(2);
    // The per-peer cap: a peer with its batch in flight gets no second one.
    const busy = peers.find((_, i) => results[i]!.batches.length > 0)!;
    expect(await clonePlanner.planBatches(busy, `run-${randomUUID()}`)).toEqual({ batches: [], waiting: `in-flight cap (1/1 to ${busy}, 2/2 in all)` });
    expect(await clonePlanner.capacity(busy)).toEqual({ inPeer: 1, perPeer: 1, free: 0, reason: `in-flight cap (1/1 to ${busy}, 2/2 in all)` });
  });

  test('a run planned again returns what it recorded; files on their way or already there are not chosen again', async () => {
    await clear();
    const names = await files(5);
    const { clonePlanner, transfers } = t.domain;
    const first = await clonePlanner.planBatches('p0', 'run-a');
    expect(first.batches).toHaveLength(1);
    expect(first.batches[0]).toMatchObject({ batchId: `clone/${t.config.name}/p0/run-a-0`, files: 2, bytes: 201 });
    expect(await clonePlanner.planBatches('p0', 'run-a')).toEqual(first);
    // Oldest first: the first two files.
    const planned = await t.domain.db.outgoingTransfer.findMany({ where: { batchId: first.batches[0]!.batchId }, orderBy: { id: 'asc' } });
    expect(planned.map((o) => o.fileName)).toEqual(names.slice(0, 2));
    expect(await clonePlanner.countCandidates('p0')).toBe(3);
    // One of them reached the peer, the other failed: only the failed one is offered again.
    const p0 = await t.domain.db.librarian.findUniqueOrThrow({ where: { name: 'p0' } });
    await transfers.outgoing.confirmed(planned[0]!.id, p0.id, 1, 'test');
    await transfers.outgoing.failed([planned[1]!.id], 'test');
    expect(await clonePlanner.countCandidates('p0')).toBe(4);
    const second = await clonePlanner.planBatches('p0', 'run-b');
    const next = await t.domain.db.outgoingTransfer.findMany({ where: { batchId: second.batches[0]!.batchId }, orderBy: { id: 'asc' } });
    expect(next.map((o) => o.fileName)).toEqual([names[1], names[2]]);
  });

  test("a peer's own settings: only recent files, sent from the preferred store, up to its own cap", async () => {
    await clear();
    const old = await files(2, { ageDays: 3, prefix: 'old' });
    const recent = await files(5, { stores: ['main', 'second'], prefix: 'new' });
    const { clonePlanner } = t.domain;
    expect(await clonePlanner.countCandidates('pref')).toBe(5);
    const r = await clonePlanner.planBatches('pref', 'run-c');
    // Three batches would fit its own cap, but the overall cap is two.
    expect(r.batches.map((b) => b.files)).toEqual([2, 2]);
    const rows = await t.domain.db.outgoingTransfer.findMany({ where: { destination: 'pref' }, include: { instance: { include: { store: true } } } });
    expect(rows.every((o) => o.instance?.store.name === 'second')).toBe(true);
    expect(rows.map((o) => o.fileName).sort()).toEqual(recent.slice(0, 4).sort());
    expect(rows.some((o) => old.includes(o.fileName))).toBe(false);
  });

  test('peer names with "_" are names, not patterns: each run finds only its own batches, and a repair only its own transfer', async () => {
    await clear();
    const names = await files(3);
    const { clonePlanner, transfers } = t.domain;
    // In a LIKE pattern "site_a" matches siteXa: the same run key must not find siteXa's batches.
    const x = await clonePlanner.planBatches('siteXa', 'run-u');
    const own = await clonePlanner.planBatches('site_a', 'run-u');
    expect([x, own].map((r) => r.batches.map((b) => [b.batchId, b.files]))).toEqual([[[`clone/${t.config.name}/siteXa/run-u-0`, 2]], [[`clone/${t.config.name}/site_a/run-u-0`, 2]]]);
    const rows = await t.domain.db.outgoingTransfer.findMany({ where: { destination: 'site_a' }, orderBy: { id: 'asc' } });
    expect(rows.map((o) => [o.fileName, o.batchId])).toEqual(names.slice(0, 2).map((n) => [n, `clone/${t.config.name}/site_a/run-u-0`]));
    // The file's one unfinished transfer to the peer is in an ordinary batch, not a repair's.
    expect(await transfers.outgoing.inFlightOf(names[0]!, 'site_a', '/repair-')).toBeNull();
    await transfers.outgoing.failed(rows.map((o) => o.id), 'test');
    await transfers.outgoing.record(t.domain.db, [{ destination: 'site_a', fileName: names[0]!, size: 1, checksum: 'c', instanceId: rows[0]!.instanceId!, batchId: `clone/${t.config.name}/site_a/repair-1-0` }], 'INITIATED');
    expect((await transfers.outgoing.inFlightOf(names[0]!, 'site_a', '/repair-'))?.batchId).toBe(`clone/${t.config.name}/site_a/repair-1-0`);
    expect(await transfers.outgoing.inFlightOf(names[0]!, 'siteXa', '/repair-')).toBeNull();
    expect(await transfers.outgoing.inFlightOf(names[1]!, 'site_a', '/repair-')).toBeNull();
  });
});
