/**
 * A Librarian process: the domain and flows over one catalog and one Temporal client, with the
 * HTTP API, a worker, or both. `server start`, `worker start`, `start` and `dev` all run through
 * here, so they start and stop the same way.
 */
import { serveHealth } from './api/health';
import { startApi, type RunningApi } from './api/server';
import type { Config } from './config';
import { createDomain, type Domain } from './domain';
import { createFlows, type Flows } from './flows';
import { startWorker, type RunningWorker } from './worker';

export interface RunningLibrarian {
  domain: Domain;
  flows: Flows;
  api?: RunningApi;
  worker?: RunningWorker;
  /** The worker's own health endpoints (worker.healthPort), if any. */
  healthUrl?: string;
  /** Resolves if the worker stops on its own (a fatal error). */
  workerStopped: Promise<void>;
  /** In order: the API stops taking requests, the worker drains, then connections close. */
  stop(): Promise<void>;
}

export async function runLibrarian(config: Config, parts: { api: boolean; worker: boolean }, component = parts.api && parts.worker ? 'librarian' : parts.api ? 'api' : 'worker'): Promise<RunningLibrarian> {
  const domain = await createDomain(config, component);
  const flows = createFlows(domain);
  let api: RunningApi | undefined;
  let worker: RunningWorker | undefined;
  let health: { url: string; close(): Promise<void> } | undefined;
  // Until the worker exists, it is not polling (and not ready), though alive.
  const workerState = () => worker?.state() ?? { polling: false, alive: true, state: 'STARTING' };
  const close = async () => {
    await api?.close();
    await worker?.shutdown();
    await health?.close();
    await flows.close();
    await domain.close();
  };
  try {
    if (parts.api) api = await startApi(domain, flows, parts.worker ? workerState : undefined);
    if (parts.worker) {
      worker = await startWorker(domain, flows);
      const { healthPort, healthHost } = config.worker;
      if (healthPort !== undefined) health = await serveHealth(flows, domain.log, { stopping: () => false, worker: workerState, alerts: false }, healthHost, healthPort);
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { domain, flows, api, worker, healthUrl: health?.url, workerStopped: worker ? worker.done : new Promise<void>(() => undefined), stop: close };
}
