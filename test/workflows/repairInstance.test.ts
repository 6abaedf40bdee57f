/**
 * Repairing a damaged instance (src/workflows/repairInstance.ts) on the time-skipping test server
 * at the production settings (ask again every hour, give up after 7 days): another store first,
 * then peers in turn; peers that are down for days are asked again until one sends a copy; no good
 * copy anywhere is unrecoverable at once; peers that never become able to send make it give up
 * after a week, alerted. Planning, copying and peer calls are fakes; the workflow is the real one.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { PeerAnswer, RepairPlan } from '../../src/domain/audit/repair';
import { repairSettings } from '../../src/flows/repair';
import type { repairInstance } from '../../src/workflows/repairInstance';
import { DAY, HOUR, MINUTE, outage, productionConfig, withWorker, workflowEnv, type FakeActivities } from '../support/workflows';

jest.setTimeout(5 * 60_000);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await workflowEnv();
});
afterAll(() => env?.teardown());

const settings = repairSettings(productionConfig(), 42);
const FILE = 'raw/2026/night-1.dat';
const damaged = (over: Partial<Extract<RepairPlan, { state: 'damaged' }>> = {}): RepairPlan => ({ state: 'damaged', fileName: FILE, kind: 'corrupt', detail: 'hashes to xxh3:::00', localSources: [], peers: [], ...over });

/** A Librarian whose instance 42 is damaged until `repaired()` is called. */
function world(plan: RepairPlan) {
  let good = false;
  const events: string[] = [];
  const notes: string[] = [];
  const activities: FakeActivities = {
    async planRepair() {
      events.push('plan');
      return good ? { state: 'good', fileName: FILE } : plan;
    },
    async noteRepair(_id: number, text: string) {
      notes.push(text);
    },
    async repairUnrecoverable(_id: number, reason: string) {
      events.push(`unrecoverable: ${reason}`);
    },
    async repairGaveUp(_id: number, reason: string) {
      events.push(`gave up: ${reason}`);
    },
  };
  return {
    activities,
    events,
    notes,
    repaired() {
      good = true;
    },
  };
}

const run = (activities: FakeActivities, id: string) =>
  withWorker(env, activities, (taskQueue) => env.client.workflow.execute<typeof repairInstance>('repairInstance', { taskQueue, workflowId: `repair/wf/${id}`, args: [settings] }));

test('another store holds a good copy: repaired from it, no peer is asked', async () => {
  const w = world(damaged({ localSources: [7, 8], peers: ['upstream'] }));
  w.activities.repairFromLocal = async (_id: number, source: number) => {
    w.events.push(`copy from ${source}`);
    if (source === 7) return { ok: false, reason: 'the copy from store "backup" hashes to xxh3:::11 (that copy is corrupt too)' };
    w.repaired();
    return { ok: true };
  };
  w.activities.askPeerForCopy = async () => {
    throw new Error('must not ask a peer');
  };
  expect(await run(w.activities, 'local')).toEqual({ instanceId: 42, outcome: 'repaired', detail: 'from our instance 8' });
  expect(w.events).toEqual(['plan', 'copy from 7', 'copy from 8']);
});

test('no other copy known anywhere: unrecoverable at once, alerted, not retried', async () => {
  const w = world(damaged());
  const r = await run(w.activities, 'nothing');
  expect(r).toEqual({ instanceId: 42, outcome: 'unrecoverable', detail: 'no other copy is known (no other store or peer holds one)' });
  expect(w.events).toEqual(['plan', 'unrecoverable: no other copy is known (no other store or peer holds one)']);
});

test('every peer says it has no good copy: unrecoverable, with each answer', async () => {
  const w = world(damaged({ peers: ['upstream', 'c'] }));
  w.activities.askPeerForCopy = async (_id: number, peer: string): Promise<PeerAnswer> => ({ outcome: 'no-copy', reason: `${peer}: Our copy of the file is also corrupt ("${FILE}").` });
  const r = await run(w.activities, 'no-copy');
  expect(r.outcome).toBe('unrecoverable');
  expect(r.detail).toBe(`no good copy anywhere (upstream: Our copy of the file is also corrupt ("${FILE}").; c: Our copy of the file is also corrupt ("${FILE}").)`);
});

test('the only peer with a copy down for 3 days: asked again every hour, then it sends the copy, which arrives and is verified', async () => {
  const down = outage(env, 3 * DAY, () => new Error('corrupt/prepare on upstream: Cannot reach the Librarian at http://a.example.org/api/v2/corrupt/prepare: connect ECONNREFUSED'));
  const w = world(damaged({ peers: ['c', 'upstream'] }));
  const asked: number[] = [];
  let arrived: number | undefined;
  w.activities.askPeerForCopy = async (_id: number, peer: string): Promise<PeerAnswer> => {
    if (peer === 'c') return { outcome: 'no-copy', reason: 'c: We do not have a copy of the file you are requesting.' };
    asked.push(await env.currentTimeMs());
    await down.check();
    return { outcome: 'accepted', transferId: 900 };
  };
  w.activities.incomingStatus = async (transferId: number) => {
    expect(transferId).toBe(900);
    // The copy takes 2 hours to arrive.
    arrived ??= (await env.currentTimeMs()) + 2 * HOUR;
    if ((await env.currentTimeMs()) < arrived) return 'ONGOING';
    w.repaired();
    return 'COMPLETED';
  };
  const r = await run(w.activities, 'outage');
  expect(r).toEqual({ instanceId: 42, outcome: 'repaired', detail: 'from upstream' });
  // Each round: 4 quick tries (10 s, 20 s, 40 s apart), then an hour's wait.
  const rounds = asked.filter((t, i) => i === 0 || t - asked[i - 1]! > 10 * MINUTE);
  expect(rounds.length).toBeGreaterThanOrEqual(72);
  expect(rounds.length).toBeLessThanOrEqual(74);
  for (let i = 1; i < rounds.length; i++) expect(rounds[i]! - rounds[i - 1]!).toBeLessThan(HOUR + 5 * MINUTE);
  expect(w.notes[0]).toMatch(/^waiting to ask again \(attempt 1\): upstream: .*ECONNREFUSED/);
  expect(w.events.filter((e) => e !== 'plan')).toEqual([]);
});

test('peers that cannot send for a week (paused, wrong account): it gives up after 7 days, alerted once', async () => {
  const w = world(damaged({ peers: ['upstream'] }));
  let first: number | undefined;
  let gaveUpAt: number | undefined;
  w.activities.repairGaveUp = async (_id: number, reason: string) => {
    gaveUpAt = await env.currentTimeMs();
    w.events.push(`gave up: ${reason}`);
  };
  w.activities.askPeerForCopy = async (): Promise<PeerAnswer> => {
    first ??= await env.currentTimeMs();
    return { outcome: 'refused', reason: 'upstream: We are not able to send you files: transfers to "b" are paused here.' };
  };
  const r = await run(w.activities, 'refused');
  expect(r.outcome).toBe('gave-up');
  expect(r.detail).toMatch(/^gave up after 16\d h: no good copy could be fetched \(upstream: We are not able to send you files: transfers to "b" are paused here\.\)$/);
  expect(w.events.filter((e) => e.startsWith('gave up'))).toHaveLength(1);
  expect(gaveUpAt! - first!).toBeGreaterThanOrEqual(7 * DAY - 2 * HOUR);
  expect(gaveUpAt! - first!).toBeLessThanOrEqual(7 * DAY);
});

test('a copy that fails on its way: the next peer is asked', async () => {
  const w = world(damaged({ peers: ['upstream', 'c'] }));
  w.activities.askPeerForCopy = async (_id: number, peer: string): Promise<PeerAnswer> => ({ outcome: 'accepted', transferId: peer === 'upstream' ? 1 : 2 });
  w.activities.incomingStatus = async (transferId: number) => {
    if (transferId === 1) return 'FAILED';
    w.repaired();
    return 'COMPLETED';
  };
  expect(await run(w.activities, 'next-peer')).toEqual({ instanceId: 42, outcome: 'repaired', detail: 'from c' });
});

test('restored meanwhile (verified good when the repair starts): nothing to do', async () => {
  const w = world(damaged());
  w.repaired();
  expect(await run(w.activities, 'good')).toEqual({ instanceId: 42, outcome: 'good' });
  expect(w.notes).toEqual(['verified good again: nothing to repair']);
});
