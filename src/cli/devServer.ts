/**
 * The Temporal dev server for `librarian dev`, started through temporal-dev/start-dev.sh (the
 * same script operators can run by hand) and stopped with SIGTERM for a clean shutdown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Connection } from '@temporalio/client';

export const TEMPORAL_DEV_DIR = path.resolve(__dirname, '../../temporal-dev');

export interface DevTemporal {
  child: ChildProcess;
  /** Settles when the server exits, whoever stopped it, with its exit code and last output. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>;
  stop(): Promise<void>;
}

export function portOf(address: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address);
  if (!m) throw new Error(`"${address}" is not host:port`);
  return { host: m[1]!, port: Number(m[2]) };
}

export function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function ready(address: string): Promise<boolean> {
  try {
    const c = await Connection.connect({ address, connectTimeout: '1s' });
    try {
      // Bounded, so something else listening on the port cannot stall start-up.
      await c.withDeadline(Date.now() + 2000, () => c.workflowService.getSystemInfo({}));
      return true;
    } finally {
      await c.close();
    }
  } catch {
    return false;
  }
}

export async function startDevTemporal(opts: { dataDir: string; address: string; uiPort: number; log: (m: string) => void }): Promise<DevTemporal> {
  const { host, port } = portOf(opts.address);
  for (const p of [port, opts.uiPort]) {
    if (await portInUse(host, p)) {
      throw new Error(`Port ${p} on ${host} is already in use, so the Temporal dev server cannot start. Stop what uses it, or run with --no-temporal to use a Temporal server that is already running at ${opts.address}.`);
    }
  }
  const child = spawn(path.join(TEMPORAL_DEV_DIR, 'start-dev.sh'), [opts.dataDir], {
    env: { ...process.env, TEMPORAL_IP: host, TEMPORAL_PORT: String(port), TEMPORAL_UI_PORT: String(opts.uiPort) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr = (stderr + text).slice(-4000);
    // The first run builds the Temporal CLI; show that progress, keep the server's chatter out.
    for (const line of text.split('\n')) if (/Building|Temporal CLI|go: |Go >=/.test(line)) opts.log(line.trim());
  });
  let exited: number | null | undefined;
  const whenExited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = code;
      resolve({ code, signal, output: stderr.trim() });
    }),
  );
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  for (;;) {
    if (exited !== undefined) {
      throw new Error(`The Temporal dev server exited (code ${exited}) before it was ready:\n${stderr.trim()}`);
    }
    if (await ready(opts.address)) return { child, exited: whenExited, stop };
    await new Promise((r) => setTimeout(r, 500));
  }
}
