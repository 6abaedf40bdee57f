/**
 * The `librarian` command, two ways: in this process (the compiled commands of dist/, through
 * oclif, with their output captured) for tests about what a command prints and answers, and as a
 * separate process for tests about the process itself (stdin, signals, exit).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { Config, run } from '@oclif/core';

export const ROOT = path.resolve(__dirname, '../..');
const RUN = path.join(ROOT, 'bin/run.js');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

function result(status: number | null, stdout: string, stderr: string): CliResult {
  return {
    status,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`CLI output is not JSON (status ${status}):\n${stdout}\n${stderr}`);
      }
    },
  };
}

/** `librarian ARGS` as its own process (what a user runs), with `input` on stdin. */
export function spawnCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [RUN, ...args], { env: { ...process.env, ...opts.env }, input: opts.input, encoding: 'utf8', timeout: opts.timeoutMs ?? 120_000 });
  return result(r.status, r.stdout, r.stderr);
}

let config: Promise<Config> | undefined;
let running = Promise.resolve();

/**
 * `librarian ARGS` in this process: the same command classes, flags and output, without starting
 * Node and loading every command again for each assertion. Commands run one at a time (they share
 * the console and the environment). oclif loads some of its dependencies with import(), which
 * jest allows under node --experimental-vm-modules (how `npm test` starts jest).
 */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  const go = async (): Promise<CliResult> => {
    config ??= Config.load({ root: ROOT });
    const cfg = await config;
    const saved = new Map<string, string | undefined>();
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      saved.set(k, process.env[k]);
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    const out: string[] = [];
    const err: string[] = [];
    const { log, error, warn } = console;
    console.log = (...a: unknown[]) => void out.push(a.map(String).join(' '));
    console.error = (...a: unknown[]) => void err.push(a.map(String).join(' '));
    console.warn = console.error;
    const exitCode = process.exitCode;
    process.exitCode = undefined;
    let status = 0;
    try {
      await run(args, cfg);
    } catch (e) {
      const x = e as { oclif?: { exit?: number }; exitCode?: number; message?: string };
      status = x.oclif?.exit ?? x.exitCode ?? 1;
      err.push(x.message ?? String(e));
    } finally {
      console.log = log;
      console.error = error;
      console.warn = warn;
      if (typeof process.exitCode === 'number' && process.exitCode !== 0) status = process.exitCode;
      process.exitCode = exitCode;
      for (const [k, v] of saved) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    return result(status, out.length ? `${out.join('\n')}\n` : '', err.length ? `${err.join('\n')}\n` : '');
  };
  const p = running.then(go, go);
  running = p.then(
    () => undefined,
    () => undefined,
  );
  return p;
}
