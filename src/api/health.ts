/**
 * Liveness and readiness for orchestrators (Kubernetes probes, compose healthchecks, load
 * balancers), on the API port and on a worker's health port. Unauthenticated, so the answers say
 * which part fails but not why; the process logs why, once per change.
 */
import express from 'express';
import type { Flows } from '../flows';
import type { Domain } from '../domain';
import { listen } from './listen';

type Logger = Domain['log'];

export interface HealthState {
  /** The process is shutting down: not ready, still alive while it drains. */
  stopping(): boolean;
  /** In a process with a worker: whether it polls (ready) and is alive (not stopped or failed), and Temporal's name for its state. */
  worker?(): { polling: boolean; alive: boolean; state: string };
  /** Whether a Temporal failure seen here counts toward the Temporal-down alert (the API's probes: yes; a worker's own port: no, the API alerts). */
  alerts: boolean;
}

interface Check {
  ok: boolean;
}

export function healthRouter(flows: Flows, log: Logger, state: HealthState): express.Router {
  const router = express.Router();
  let lastProblems = '';

  router.get('/healthz', (_req, res) => {
    const worker = state.worker?.();
    if (worker && !worker.alive) {
      return void res.status(503).json({ alive: false, reason: `The worker has stopped (${worker.state}).`, suggested_remedy: 'Restart the process; its log says why the worker stopped.' });
    }
    res.json({ alive: true });
  });

  router.get('/readyz', async (_req, res) => {
    const checks: Record<string, Check> = {};
    const problems: string[] = [];
    const worker = state.worker?.();
    if (worker) {
      checks.worker = { ok: worker.polling };
      if (!worker.polling) problems.push(`worker ${worker.state}`);
    }
    if (state.stopping()) {
      return void res.status(503).json({ ready: false, ...checks, reason: 'This process is shutting down.', suggested_remedy: 'Send requests to another instance; this one stops once work under way ends.' });
    }
    const health = await flows.health.check(state.alerts);
    checks.catalog = { ok: health.catalog === null };
    checks.temporal = { ok: health.temporal === null };
    if (health.catalog) problems.push(health.catalog);
    if (health.temporal) problems.push(health.temporal);
    const summary = problems.join('; ');
    if (summary !== lastProblems) {
      if (summary) log.warn({ problems }, 'not ready');
      else log.info('ready');
      lastProblems = summary;
    }
    if (!problems.length) return void res.json({ ready: true, ...checks });
    const failing = Object.entries(checks)
      .filter(([, c]) => !c.ok)
      .map(([k]) => k);
    res.status(503).json({ ready: false, ...checks, reason: `Not ready: ${failing.join(' and ')} ${failing.length > 1 ? 'fail' : 'fails'}.`, suggested_remedy: "This process's log says why; it becomes ready by itself once they answer." });
  });
  return router;
}

/** A worker process's health endpoints on a port of their own (worker.healthPort). */
export async function serveHealth(flows: Flows, log: Logger, state: HealthState, host: string, port: number): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.disable('x-powered-by');
  app.use(healthRouter(flows, log, state));
  app.use((req, res) => {
    res.status(404).json({ reason: `No endpoint ${req.method} ${req.path} here.`, suggested_remedy: 'This port serves GET /healthz and GET /readyz only.' });
  });
  const { server, url } = await listen(app, host, port);
  log.info({ url }, 'worker health endpoints listening');
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
