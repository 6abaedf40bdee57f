/**
 * Temporal's time-skipping test server (Java, from the Java SDK) for workflow tests that need days
 * of workflow time in seconds of wall time: a peer down for three days, retry back-off, timers.
 *
 * temporal-dev/test-server.sh provides the server (Maven Central jars, cached); @temporalio/testing
 * would download it from the web instead, which our machines cannot. The SDK starts the server
 * itself and gives it a fixed ~5 s to answer: the JVM answers in about 1 s here, so that is tried
 * first; should it miss the window (a loaded machine), we start the JVM ourselves, wait as long
 * as it takes, and connect to it in time-skipping mode.
 *
 * Time skipping is global to one environment: run its workflows one at a time, and give each test
 * file its own environment (created in beforeAll, torn down in afterAll). What we saw of the test
 * server (1.38.0):
 * - The clock skips only while a client awaits a workflow result (or env.sleep()); otherwise it
 *   runs at real speed, also while the test sends signals.
 * - Timers, `condition(fn, timeout)` timeouts and retry back-off are skipped; an activity that is
 *   running is not: its startToClose and heartbeat timeouts fire in real time.
 * - A workflow whose tasks keep failing (e.g. an unregistered search attribute) holds the clock
 *   to real speed whenever its task is out, slowing every other test: end every workflow you start.
 * - Right after a result, the clock may leap to the finished workflow's run timeout (10 years by
 *   default): assert durations measured inside one workflow, never absolute dates.
 * - Retries carry info.currentAttemptScheduledTimestampMs = when the previous attempt failed (one
 *   back-off interval early); use env.currentTimeMs() for "now".
 * - It keeps no Schedules, implements neither ListSearchAttributes nor visibility queries
 *   (ListWorkflowExecutions): test those on the dev server of globalSetup.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { addSearchAttributes } from '../../src/flows/searchAttributes';
import { freePort, waitFor } from './ports';

const ROOT = path.resolve(__dirname, '../..');

/** How the last environment was started, for tests that want to print it. */
export const timeSkippingStartup = { how: '' as '' | 'sdk' | 'own-jvm', ms: 0, searchAttributes: [] as string[] };

let serverPath: Promise<string> | undefined;

/** Path of the test server wrapper; the first call on a machine may fetch it with Maven (a minute or so). */
export function testServerPath(): Promise<string> {
  serverPath ??= new Promise<string>((resolve, reject) => {
    execFile(path.join(ROOT, 'temporal-dev/test-server.sh'), { timeout: 15 * 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`temporal-dev/test-server.sh failed: ${err.message}\n${stderr}`));
      else resolve(stdout.trim().split('\n').pop()!);
    });
  });
  return serverPath;
}

export interface TimeSkippingEnvOptions {
  /**
   * Register the Librarian's custom search attributes (src/workflows/searchAttributes.ts). The
   * Java test server rejects a workflow task that upserts an unregistered attribute (the workflow
   * then retries that task forever), so the default is true.
   */
  searchAttributes?: boolean;
  /** 'sdk': only the SDK's own start; 'own': only our own JVM; 'auto' (default): SDK, then own JVM. */
  start?: 'auto' | 'sdk' | 'own';
}

/**
 * A TestWorkflowEnvironment on a fresh time-skipping test server. `teardown()` stops the server.
 * Set LIBRARIAN_TEST_TIME_SKIPPING_START=own|sdk to force one way of starting it.
 */
export async function createTimeSkippingEnv(opts: TimeSkippingEnvOptions = {}): Promise<TestWorkflowEnvironment> {
  const exe = await testServerPath();
  const start = opts.start ?? (process.env.LIBRARIAN_TEST_TIME_SKIPPING_START as TimeSkippingEnvOptions['start']) ?? 'auto';
  const t0 = Date.now();
  let env: TestWorkflowEnvironment | undefined;
  if (start !== 'own') {
    try {
      env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: exe } } });
      timeSkippingStartup.how = 'sdk';
    } catch (e) {
      if (start === 'sdk') throw e;
      // The SDK kills its child when the start fails; nothing is left behind.
      console.warn(`The SDK's start of the time-skipping test server failed (${(e as Error).message.split('\n')[0]}); starting the JVM ourselves.`);
    }
  }
  if (!env) {
    env = await startOwnJvm(exe);
    timeSkippingStartup.how = 'own-jvm';
  }
  timeSkippingStartup.ms = Date.now() - t0;
  timeSkippingStartup.searchAttributes = [];
  if (opts.searchAttributes ?? true) {
    try {
      timeSkippingStartup.searchAttributes = await registerLibrarianSearchAttributes(env);
    } catch (e) {
      await env.teardown();
      throw e;
    }
  }
  return env;
}

/**
 * Registers the Librarian's custom search attributes on the environment's namespace; returns their
 * names. (Not registerSearchAttributes, which lists the existing ones first: the test server does
 * not implement ListSearchAttributes.)
 */
export async function registerLibrarianSearchAttributes(env: TestWorkflowEnvironment): Promise<string[]> {
  return addSearchAttributes(env.connection, env.namespace ?? 'default');
}

/** Our own JVM on a free port, given up to 2 minutes to answer; the environment's teardown kills it. */
async function startOwnJvm(exe: string): Promise<TestWorkflowEnvironment> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const child: ChildProcess = spawn(exe, [String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (b: Buffer) => (output = (output + b.toString()).slice(-8000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: number | string | null | undefined;
  const gone = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code ?? signal;
      resolve();
    }),
  );
  // The wrapper execs java, so this kills the JVM itself, also if the test process dies first.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const stop = async () => {
    process.removeListener('exit', kill);
    if (exited === undefined) {
      kill();
      await gone;
    }
  };
  try {
    const state = await waitFor(
      `the time-skipping test server at ${address} (${exe})`,
      async () => {
        if (exited !== undefined) return 'exited';
        const c = await Connection.connect({ address, connectTimeout: '1s' });
        try {
          await c.workflowService.getSystemInfo({});
        } finally {
          await c.close();
        }
        return 'up';
      },
      120_000,
      100,
    );
    if (state === 'exited') throw new Error(`The time-skipping test server (${exe} ${port}) exited (${exited}):\n${output}`);
    // The SDK's own constructor path, as for a server it started, but connecting to ours: its
    // public createFromExistingServer() would turn time skipping off.
    const create = (TestWorkflowEnvironment as unknown as { create(o: object): Promise<TestWorkflowEnvironment> }).create;
    if (typeof create !== 'function') throw new Error('@temporalio/testing has no TestWorkflowEnvironment.create any more: update test/support/timeSkipping.ts');
    const env = await create.call(TestWorkflowEnvironment, {
      server: { type: 'existing' },
      address,
      namespace: 'default',
      supportsTimeSkipping: true,
    });
    const teardown = env.teardown.bind(env);
    env.teardown = async () => {
      try {
        await teardown();
      } finally {
        await stop();
      }
    };
    return env;
  } catch (e) {
    await stop();
    throw e;
  }
}
