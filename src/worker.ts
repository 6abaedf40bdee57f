import { existsSync } from 'node:fs';
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import type { Logger } from './logger';
import { createActivities } from './activities';
import type { Services } from './services';
import { connectClient } from './temporal/connection';
import { ensureLocalCloneSchedules, ensureSchedules } from './temporal/schedules';
import { ensurePeerSchedules } from './services/cloneWorkflows';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

/** The workflow bundle made at build time; without it the worker bundles at start (slower). */
export const WORKFLOW_BUNDLE = path.resolve(__dirname, 'workflow-bundle.js');

let runtimeInstalled = false;

/** Temporal's runtime logs through our logger; we handle signals ourselves (see waitForSignal). */
export function installRuntime(log: Logger): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const levels: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' };
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', (entry) => log[levels[entry.level]]({ ...(entry.meta ?? {}) }, entry.message)),
  });
}

export async function startWorker(services: Services): Promise<RunningWorker> {
  installRuntime(services.log);
  const { temporal } = services.config;
  const connection = await NativeConnection.connect({ address: temporal.address });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    activities: createActivities(services),
    ...(existsSync(WORKFLOW_BUNDLE)
      ? { workflowBundle: { codePath: WORKFLOW_BUNDLE } }
      : { workflowsPath: require.resolve('./workflows') }),
    // Long checksum and copy activities get this long to finish on shutdown before they are
    // cancelled; a cancelled activity is retried by Temporal after restart.
    shutdownGraceTime: '30s',
  });
  const client = await connectClient(temporal);
  try {
    await ensureSchedules(client, services.config, services.log);
    await ensurePeerSchedules(client, services);
    await ensureLocalCloneSchedules(client, services.config, services.log);
  } finally {
    await client.connection.close();
  }
  const done = worker.run().finally(() => connection.close());
  services.log.info({ taskQueue: temporal.taskQueue, namespace: temporal.namespace }, 'worker running');
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
