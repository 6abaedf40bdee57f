/**
 * The work nobody asks for: Temporal Schedules send new files to each peer, fill backup stores by
 * local clone and check the stores, on their configured cadence (2 s here; minutes in production).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import YAML from 'yaml';
import { expectCloned, FAST_CLONE, fill } from '../support/clone';
import { treeDigest } from '../support/data';
import { connectPeers, startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';
import { testTemporalClient } from '../support/temporalServer';

let a: LibrarianHandle;
let b: LibrarianHandle;
let temporal: Client;

beforeAll(async () => {
  temporal = await testTemporalClient();
  // B schedules its sends too: it must still not send to A, which it only receives from.
  b = await startLibrarian({ name: `b-${randomUUID().slice(0, 6)}`, provider: 'sqlite', config: { ...FAST_CLONE, clone: { ...FAST_CLONE.clone, every: '2s' } } });
  a = await startLibrarian({
    name: `a-${randomUUID().slice(0, 6)}`,
    provider: 'postgresql',
    config: {
      ...FAST_CLONE,
      clone: { ...FAST_CLONE.clone, every: '2s', methods: ['local'] },
      healthCheck: { every: '2s' },
      localClones: [{ name: 'backup', from: 'main', to: ['backup'], every: '2s' }],
    },
    stores: [
      { name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' },
      { name: 'backup', ingestable: false, stagingPath: 'stores/backup/staging', storePath: 'stores/backup/store' },
    ],
  });
  await connectPeers(a, b);
});

afterAll(async () => {
  await stopAllLibrarians();
  await temporal.connection.close();
});

const sendSchedule = () => temporal.schedule.getHandle(`send-clones/${a.name}/${b.name}`);

async function remoteCount(names: string[]): Promise<number> {
  const svc = await a.domain();
  return svc.db.remoteInstance.count({ where: { fileName: { in: names } } });
}

test("a peer's sending Schedule clones new files on its own; pausing the peer pauses it, resuming resumes it, removing the peer removes it", async () => {
  const d = await sendSchedule().describe();
  expect(d.state.paused).toBe(false);
  // B's account on A is CALLBACK, so B added A as a peer it only receives from: no Schedule back.
  await expect(temporal.schedule.getHandle(`send-clones/${b.name}/${a.name}`).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  expect(d.spec.intervals).toEqual([expect.objectContaining({ every: 2000 })]);
  expect(d.action).toMatchObject({ type: 'startWorkflow', workflowType: 'sendClones', args: [{ peer: b.name }] });

  const files = await fill(a, { files: 5, books: 1, prefix: 'scheduled' });
  await waitFor('the Schedule to clone every file', async () => (await remoteCount(files.map((f) => f.name))) === files.length, 90_000);
  await expectCloned(a, b, files);

  expect((await a.cli(['peers', 'pause', b.name, '--json'])).json()).toMatchObject({ transfers_enabled: false });
  // A Schedule's description follows a change a moment later (the change is a signal to it).
  await waitFor('the Schedule to be paused', async () => (await sendSchedule().describe()).state.paused);
  expect((await sendSchedule().describe()).state).toMatchObject({ paused: true, note: 'transfers to this peer are paused' });
  const later = await fill(a, { files: 2, books: 0, prefix: 'scheduled-later' });
  // A run while the peer is paused (triggered by hand, as its cadence would) plans nothing for it.
  const before = (await sendSchedule().describe()).info.recentActions.length;
  await sendSchedule().trigger();
  const run = await waitFor('the triggered run', async () => (await sendSchedule().describe()).info.recentActions[before]?.action.workflow?.workflowId, 30_000);
  expect(await temporal.workflow.getHandle(run).result()).toEqual({ started: 0, waiting: 'peer paused' });
  const svc = await a.domain();
  expect(await svc.db.outgoingTransfer.count({ where: { fileName: { in: later.map((f) => f.name) } } })).toBe(0);
  expect((await sendSchedule().describe()).state.paused).toBe(true);

  expect((await a.cli(['peers', 'resume', b.name, '--json'])).json()).toMatchObject({ transfers_enabled: true });
  await waitFor('the Schedule to be resumed', async () => !(await sendSchedule().describe()).state.paused);
  await waitFor('the resumed Schedule to clone the later files', async () => (await remoteCount(later.map((f) => f.name))) === later.length, 90_000);
  await expectCloned(a, b, later);

  const kept = await a.cli(['peers', 'remove', b.name, '--json']);
  expect(kept.status).not.toBe(0);
  expect(kept.stderr).toContain('librarian peers remove --forget-copies');
  expect((await sendSchedule().describe()).state.paused).toBe(false);
  const removed = await a.cli(['peers', 'remove', b.name, '--forget-copies', '--json']);
  expect(removed.stderr).toBe('');
  expect(removed.status).toBe(0);
  await expect(sendSchedule().describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
});

test("the local-clone Schedule copies every file to the backup store, verified; the health-check Schedule runs; a local clone removed from the configuration loses its Schedule", async () => {
  const files = await fill(a, { files: 4, books: 1, prefix: 'backed-up' });
  const names = files.map((f) => f.name);
  const svc = await a.domain();
  const backup = await svc.db.store.findUniqueOrThrow({ where: { name: 'backup' } });
  await waitFor('every file copied to the backup store', async () => (await svc.db.instance.count({ where: { storeId: backup.id, available: true, fileName: { in: names } } })) === files.length, 90_000);
  expect(await svc.db.cloneTransfer.count({ where: { destinationStoreId: backup.id, status: 'COMPLETED', fileName: { in: names } } })).toBe(files.length);
  for (const f of files) expect(treeDigest(path.join(a.dir, 'stores/backup/store', f.name))).toEqual(treeDigest(f.local));

  const scheduled = await waitFor('a scheduled health check to finish', async () => {
    const rows = (await a.cli(['workflows', 'list', '--json'])).json<{ workflow_id: string; type: string; status: string; search_attributes: Record<string, unknown> }[]>();
    return rows.find((r) => r.type === 'storeHealthCheck' && r.workflow_id.startsWith(`store-health/${a.name}/scheduled`) && r.status === 'COMPLETED');
  }, 60_000);
  expect(scheduled.search_attributes).toEqual({ Librarian: a.name, LibrarianPhase: 'healthy' });
  expect(await temporal.workflow.getHandle(scheduled.workflow_id).result()).toMatchObject({ unhealthy: [], stores: [expect.objectContaining({ name: 'main', writable: true }), expect.objectContaining({ name: 'backup', writable: true })] });

  const localClone = temporal.schedule.getHandle(`local-clone/${a.name}/backup`);
  expect((await localClone.describe()).action).toMatchObject({ workflowType: 'localClone' });
  const config = YAML.parse(readFileSync(a.configPath, 'utf8'));
  writeFileSync(a.configPath, YAML.stringify({ ...config, localClones: [] }));
  await a.restart();
  await expect(localClone.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  expect(a.logOf('worker')).toContain(`"schedule":"local-clone/${a.name}/backup","msg":"schedule removed (no longer configured)"`);
  expect((await temporal.schedule.getHandle(`store-health/${a.name}`).describe()).state.paused).toBe(false);
});
