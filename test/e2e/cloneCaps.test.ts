/**
 * The in-flight caps on sending (Globus allows 100 pending and 3 active tasks per account), over
 * HTTP and the CLI: at most `maxBatchesPerPeer` batches to one destination and `maxBatchesTotal`
 * in all, even when the sending steps of several peers run at the same moment. The peers here are
 * registered but never answer, so every batch started stays in flight (retrying
 * `clone/batch_stage`). Planning under the caps on each catalog: test/domain/planner.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { FAST_CLONE, fill } from '../support/clone';
import { startLibrarian, stopAllLibrarians } from '../support/librarian';
import { freePorts } from '../support/ports';

afterAll(async () => {
  await stopAllLibrarians();
});

interface SendResult {
  peer: string;
  batches_started: number;
  files: number;
  batch_ids: string[];
  waiting: string | null;
}

describe('caps', () => {
  test('sending steps of four peers run at once: two batches start in all, the others wait for the overall cap and say so', async () => {
    const a = await startLibrarian({
      name: `caps-${randomUUID().slice(0, 6)}`,
      provider: 'sqlite',
      config: { ...FAST_CLONE, clone: { ...FAST_CLONE.clone, methods: ['local'], batchSize: 2, maxBatchesPerPeer: 1, maxBatchesTotal: 2 } },
    });
    const ports = await freePorts(4);
    const peers = ports.map((_, i) => `silent-${i}`);
    for (const [i, port] of ports.entries()) {
      await a.client().post('admin/librarians/add', { librarian_name: peers[i], url: '127.0.0.1', port, authenticator: `${a.name}:pw`, check_connection: false });
    }
    await fill(a, { files: 6, books: 0, prefix: 'capped' });

    const results = await Promise.all(peers.map((peer) => a.client().post<SendResult>('admin/clone/send', { peer })));
    const started = results.filter((r) => r.batches_started > 0);
    expect(started.map((r) => r.batches_started)).toEqual([1, 1]);
    expect(started.map((r) => r.files)).toEqual([2, 2]);
    const waiting = results.filter((r) => r.batches_started === 0);
    expect(waiting).toHaveLength(2);
    for (const r of waiting) expect(r.waiting).toBe(`in-flight cap (0/1 to ${r.peer}, 2/2 in all)`);

    const svc = await a.domain();
    const active = await svc.db.outgoingTransfer.findMany({ where: { status: { in: ['INITIATED', 'ONGOING', 'STAGED'] } }, orderBy: { id: 'asc' } });
    expect(new Set(active.map((t) => t.batchId)).size).toBe(2);
    expect(new Set(active.map((t) => t.destination))).toEqual(new Set(started.map((r) => r.peer)));
    expect(active).toHaveLength(4);

    // The per-peer cap: a peer with its one batch in flight gets no second one.
    const again = await a.client().post<SendResult>('admin/clone/send', { peer: started[0]!.peer });
    expect(again).toMatchObject({ batches_started: 0, waiting: `in-flight cap (1/1 to ${started[0]!.peer}, 2/2 in all)` });

    const status = (await a.cli(['clone', 'status', '--json'])).json<{ peers: { name: string; in_flight_batches: number; waiting_files: number; waiting_reason: string | null }[] }>();
    for (const r of started) expect(status.peers).toContainEqual(expect.objectContaining({ name: r.peer, in_flight_batches: 1, waiting_files: 4, waiting_reason: `in-flight cap (1/1 to ${r.peer}, 2/2 in all)` }));
    for (const r of waiting) expect(status.peers).toContainEqual(expect.objectContaining({ name: r.peer, in_flight_batches: 0, waiting_files: 6, waiting_reason: `in-flight cap (0/1 to ${r.peer}, 2/2 in all)` }));
  });
});
