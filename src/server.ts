/**
 * A Librarian process: the domain and flows over one catalog and one Temporal client, with the
 * HTTP API, a worker, or both. `server start`, `worker start`, `start` and `dev` all run through
 * here, so they start and stop the same way.
 */
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
  const close = async () => {
    await api?.close();
    await worker?.shutdown();
    await flows.close();
    await domain.close();
  };
  try {
    if (parts.api) api = await startApi(domain, flows);
    if (parts.worker) worker = await startWorker(domain, flows);
  } catch (e) {
    await close();
    throw e;
  }
  return { domain, flows, api, worker, workerStopped: worker ? worker.done : new Promise<void>(() => undefined), stop: close };
}
