/**
 * Workflow tests: the product's real workflow code on Temporal's time-skipping test server, with
 * the activities an outage concerns replaced by fakes that fail while the simulated outage lasts
 * by the server's clock. Days of workflow time take seconds.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../../src/activities';
import { configSchema, type RawConfig } from '../../src/config';
import { createTimeSkippingEnv } from './timeSkipping';

const ROOT = path.resolve(__dirname, '../..');
export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The production defaults (what an empty librarian.yaml gives), with `over` applied. */
export function productionConfig(over: Record<string, unknown> = {}): RawConfig {
  return configSchema.parse({ name: 'wf', ...over });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** The bundle `npm run build` made when it is newer than every source file; else the sources (bundled now, a few seconds). */
export function productWorkflows(): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> {
  const bundle = path.join(ROOT, 'dist/workflow-bundle.js');
  try {
    if (statSync(bundle).mtimeMs > newestMtime(path.join(ROOT, 'src'))) return { workflowBundle: { codePath: bundle } };
  } catch {
    // no bundle
  }
  return { workflowsPath: require.resolve('../../src/workflows') };
}

/** A time-skipping environment for one test file; activity failures a test provokes are not logged. */
export async function workflowEnv(): Promise<TestWorkflowEnvironment> {
  Runtime.install({
    logger: new DefaultLogger('WARN', (e) => {
      if (e.message === 'Activity failed' || e.message === 'Workflow failed') return;
      console.warn(`[${e.level}] ${e.message}`, e.meta ?? '');
    }),
    // The native core warns that the test server lacks a heartbeat capability a dev server has.
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), forward: {} } },
  });
  return createTimeSkippingEnv();
}

export type FakeActivities = Partial<Activities>;

let queues = 0;

/** Runs `fn` with a worker of the real workflows and these activities on a fresh task queue. */
export async function withWorker<T>(env: TestWorkflowEnvironment, activities: FakeActivities, fn: (taskQueue: string) => Promise<T>): Promise<T> {
  const taskQueue = `wf-test-${process.pid}-${++queues}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, activities, ...productWorkflows() });
  return worker.runUntil(fn(taskQueue));
}

/**
 * A dependency that is down for `ms` of workflow time from the first call: `check()` throws the
 * given error while it is down. Records when each call came, by the server's clock.
 */
export function outage(env: TestWorkflowEnvironment, ms: number, error: () => Error) {
  const calls: number[] = [];
  let since: number | undefined;
  return {
    calls,
    async check(): Promise<void> {
      const now = await env.currentTimeMs();
      calls.push(now);
      since ??= now;
      if (now < since + ms) throw error();
    },
    /** The longest wait between two calls, and how long the outage was waited out. */
    stats() {
      const gaps = calls.slice(1).map((c, i) => c - calls[i]!);
      return { calls: calls.length, maxGapMs: Math.max(0, ...gaps), spanMs: calls.length ? calls[calls.length - 1]! - calls[0]! : 0 };
    },
  };
}

/** The attempt of the activity being run (for fakes that want it). */
export function attempt(): number {
  return Context.current().info.attempt;
}
