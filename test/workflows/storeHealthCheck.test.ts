/**
 * The store health check (src/workflows/storeHealthCheck.ts) with fake activities on the
 * time-skipping test server: its verdict, the search attributes operators filter on, and which
 * stores it records as failing (a full store is not failing). Disabling and alerting are tested
 * on real disks in test/e2e/storeFaults.test.ts.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { StoreHealth } from '../../src/domain/stores/stores';
import type { storeHealthCheck } from '../../src/workflows';
import { PHASE, STORE } from '../../src/workflows/searchAttributes';
import { timeSkippingStartup } from '../support/timeSkipping';
import { withWorker, workflowEnv } from '../support/workflows';

jest.setTimeout(5 * 60_000);

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await workflowEnv();
  console.log(`time-skipping test server: started by ${timeSkippingStartup.how} in ${timeSkippingStartup.ms} ms`);
});
afterAll(() => env?.teardown());

function health(name: string, over: Partial<StoreHealth> = {}): StoreHealth {
  return { id: 1, name, storeType: 'local', ingestable: true, enabled: true, available: true, freeSpace: 1e12, healthProblem: null, writable: true, full: false, ...over };
}

test('all stores, or one: unhealthy ones named, the verdict in LibrarianPhase', async () => {
  const checked: string[] = [];
  const activities = {
    async listStoreNames() {
      return ['disk-a', 'disk-b'];
    },
    async checkStoreHealth(name: string) {
      checked.push(name);
      return name === 'disk-b' ? health(name, { full: true, freeSpace: 0, problem: 'store reports full' }) : health(name);
    },
    async recordStoreHealth(_name: string, problem: string | null) {
      return { enabled: true, healthProblem: problem };
    },
  };
  await withWorker(env, activities, async (taskQueue) => {
    const all = await env.client.workflow.execute<typeof storeHealthCheck>('storeHealthCheck', { taskQueue, workflowId: `${taskQueue}-all`, args: [{}] });
    expect(all).toEqual({ workflowId: `${taskQueue}-all`, stores: [health('disk-a'), health('disk-b', { full: true, freeSpace: 0, problem: 'store reports full' })], unhealthy: ['disk-b'] });
    const handle = await env.client.workflow.start<typeof storeHealthCheck>('storeHealthCheck', { taskQueue, workflowId: `${taskQueue}-one`, args: [{ storeName: 'disk-a' }] });
    expect((await handle.result()).unhealthy).toEqual([]);
    const sa = (await handle.describe()).typedSearchAttributes;
    expect([sa.get(PHASE), sa.get(STORE)]).toEqual(['healthy', 'disk-a']);
    expect((await env.client.workflow.getHandle(`${taskQueue}-all`).describe()).typedSearchAttributes.get(PHASE)).toBe('unhealthy');
  });
  expect(checked.sort()).toEqual(['disk-a', 'disk-a', 'disk-b']);
});

test('a store not mounted or not writable is recorded as failing (and disabled); a full one is not', async () => {
  const recorded: [string, string | null][] = [];
  const activities = {
    async listStoreNames() {
      return ['gone', 'readonly', 'full', 'fine'];
    },
    async checkStoreHealth(name: string) {
      if (name === 'gone') return health(name, { available: false, writable: false, freeSpace: -1, problem: 'staging or store directory is missing (is the disk mounted?)' });
      if (name === 'readonly') return health(name, { writable: false, problem: "/store: EROFS: read-only file system, open '/store/.librarian-probe'" });
      if (name === 'full') return health(name, { full: true, freeSpace: 0, problem: 'store reports full' });
      return health(name);
    },
    async recordStoreHealth(name: string, problem: string | null) {
      recorded.push([name, problem]);
      return { enabled: problem === null, healthProblem: problem };
    },
  };
  const r = await withWorker(env, activities, (taskQueue) => env.client.workflow.execute<typeof storeHealthCheck>('storeHealthCheck', { taskQueue, workflowId: `${taskQueue}-failing`, args: [{}] }));
  expect(recorded.sort()).toEqual([
    ['fine', null],
    ['full', null],
    ['gone', 'staging or store directory is missing (is the disk mounted?)'],
    ['readonly', "/store: EROFS: read-only file system, open '/store/.librarian-probe'"],
  ]);
  expect(r.unhealthy).toEqual(['gone', 'readonly', 'full']);
  expect(r.stores.map((s) => [s.name, s.enabled, s.healthProblem])).toEqual([
    ['gone', false, 'staging or store directory is missing (is the disk mounted?)'],
    ['readonly', false, "/store: EROFS: read-only file system, open '/store/.librarian-probe'"],
    ['full', true, null],
    ['fine', true, null],
  ]);
});
