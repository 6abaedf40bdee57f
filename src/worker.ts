import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel } from '@temporalio/worker';
import { createActivities } from './activities';
import { temporalTls } from './config/temporalTls';
import type { Domain } from './domain';
import { useGlobusServiceUrls } from './domain/globus/globus';
import type { Flows } from './flows';
import { workflowCode } from './flows/workflowCode';
import type { Logger } from './logger';

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
  /** For health endpoints: polling (ready), alive (not stopped or failed), Temporal's name for it. */
  state(): { polling: boolean; alive: boolean; state: string };
}

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

/**
 * Runs this Librarian's workflows and activities, after making its Schedules match the
 * configuration and its peers.
 */
export async function startWorker(domain: Domain, flows: Flows): Promise<RunningWorker> {
  installRuntime(domain.log);
  useGlobusServiceUrls(domain.config.globus);
  const { temporal } = domain.config;
  const connection = await NativeConnection.connect({ address: temporal.address, tls: temporalTls(temporal.tls) });
  const worker = await Worker.create({
    connection,
    namespace: temporal.namespace,
    taskQueue: temporal.taskQueue,
    activities: createActivities(domain, flows),
    ...workflowCode(),
    // Long checksum and copy activities get this long to finish on shutdown before they are
    // cancelled; a cancelled activity is retried by Temporal after restart.
    shutdownGraceTime: '30s',
  });
  await flows.schedules.ensureAll();
  const done = worker.run().finally(() => connection.close());
  domain.log.info({ taskQueue: temporal.taskQueue, namespace: temporal.namespace }, 'worker running');
  return {
    worker,
    done,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
    state() {
      const state = worker.getState();
      return { polling: state === 'RUNNING', alive: state !== 'FAILED' && state !== 'STOPPED', state };
    },
  };
}
