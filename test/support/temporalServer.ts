import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePorts, waitFor } from './ports';

export const ROOT = path.resolve(__dirname, '../..');

/** A client of the test run's Temporal server, for looking at workflows directly (close its connection after). */
export async function testTemporalClient(): Promise<Client> {
  return new Client({ connection: await Connection.connect({ address: process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS! }) });
}

/** A Temporal dev server started by the product's own script, in memory, on free ports. */
export async function startTemporal(): Promise<{ address: string; uiPort: number; child: ChildProcess; stop(): Promise<void> }> {
  const [port, uiPort] = (await freePorts(2)) as [number, number];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'librarian-temporal-'));
  const log = openSync(path.join(dir, 'temporal.log'), 'a');
  const child = spawn(path.join(ROOT, 'temporal-dev/start-dev.sh'), [dir], {
    env: { ...process.env, TEMPORAL_DB: '', TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(uiPort) },
    stdio: ['ignore', log, log],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  const address = `127.0.0.1:${port}`;
  // The first run may build the Temporal CLI from source: allow for it.
  await waitFor(
    `Temporal dev server at ${address} (log: ${dir}/temporal.log)`,
    async () => {
      if (exited) throw new Error(`start-dev.sh exited; see ${dir}/temporal.log`);
      const c = await Connection.connect({ address, connectTimeout: '1s' });
      await c.workflowService.getSystemInfo({});
      await c.close();
      return true;
    },
    30 * 60_000,
    500,
  );
  return {
    address,
    uiPort,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
