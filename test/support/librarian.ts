/**
 * A real Librarian for end-to-end tests: its configuration, catalog (SQLite file or a fresh
 * PostgreSQL database) and stores, prepared by `setup` as operators would, then one process,
 * `librarian start` (API and worker), or two (`server start` and `worker start`) when the test
 * kills one of them. Tests talk to it over HTTP and inspect its catalog and disks.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { loadConfig } from '../../src/config';
import { createDomain, type Domain } from '../../src/domain';
import { setup } from '../../src/flows/setup';
import { LibrarianClient } from '../../src/protocol/client';
import { ROOT, runCli, spawnCli, type CliResult } from './cli';
import { freePort, waitFor } from './ports';

export type Provider = 'sqlite' | 'postgresql';
export const PROVIDERS: Provider[] = ['sqlite', 'postgresql'];
const RUN = path.join(ROOT, 'bin/run.js');

const running = new Set<LibrarianHandle>();

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export async function createPgDatabase(): Promise<string> {
  const admin = process.env.LIBRARIAN_TEST_PG_URL!;
  const name = `lib_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

export type { CliResult };

export interface LibrarianOptions {
  name?: string;
  provider?: Provider;
  /** Extra settings merged into the generated configuration. */
  config?: Record<string, unknown>;
  /** Store definitions; default: one ingestable store "main" inside the Librarian's directory. */
  stores?: Record<string, unknown>[];
  /** false: the API only. */
  worker?: boolean;
  /** Run the API and the worker as two processes (for tests that kill or restart one of them). */
  separate?: boolean;
}

type Part = 'server' | 'worker' | 'start';

/** How a process of a Librarian ended: its exit code, or the signal that killed it. */
export interface PartExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class LibrarianHandle {
  private readonly children = new Map<Part, ChildProcess>();
  private domainP?: Promise<Domain>;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly configPath: string,
    readonly url: string,
    readonly provider: Provider,
    readonly admin: { username: string; password: string },
    private readonly separate: boolean,
    private readonly withWorker: boolean,
  ) {}

  get config() {
    return loadConfig(this.configPath, {});
  }

  client(username = this.admin.username, password = this.admin.password): LibrarianClient {
    return new LibrarianClient({ url: this.url, username, password, timeoutMs: 120_000 });
  }

  anonymous(): LibrarianClient {
    return new LibrarianClient({ url: this.url });
  }

  /** The domain layer in this process over the same catalog, for assertions on rows. */
  domain(): Promise<Domain> {
    this.domainP ??= createDomain({ ...loadConfig(this.configPath, {}), log: { level: 'warn' } }, 'test');
    return this.domainP;
  }

  /** The process id of a running part (`start`: the single process), for benchmarks that watch it. */
  pid(part: Part): number | undefined {
    return this.children.get(part)?.pid;
  }

  private spawnPart(part: Part): ChildProcess {
    const log = openSync(path.join(this.dir, `${part}.log`), 'a');
    const args = part === 'start' ? ['start'] : [part, 'start'];
    const child = spawn(process.execPath, [RUN, ...args, '--config', this.configPath], { env: { ...process.env, LIBRARIAN_CONFIG: undefined }, stdio: ['ignore', log, log] });
    this.children.set(part, child);
    return child;
  }

  logOf(part: 'server' | 'worker'): string {
    const files = this.separate ? [`${part}.log`] : ['start.log'];
    return files.map((f) => path.join(this.dir, f)).filter(existsSync).map((f) => readFileSync(f, 'utf8')).join('');
  }

  private async waitUp(part: Part, child: ChildProcess, logBefore: number): Promise<void> {
    const logFile = path.join(this.dir, `${part}.log`);
    const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    await waitFor(`${part} of ${this.name}`, async () => {
      if (child.exitCode !== null) throw new Error(`${part} exited with ${child.exitCode}:\n${log().slice(-3000)}`);
      if (part !== 'server' && !log().slice(logBefore).includes('Librarian worker polling')) return false;
      if (part === 'worker') return true;
      const r = await fetch(`${this.url}/api/v2/ping/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return r.ok;
    });
  }

  private async startPart(part: Part): Promise<void> {
    const logFile = path.join(this.dir, `${part}.log`);
    const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    await this.waitUp(part, this.spawnPart(part), before);
  }

  /** Starts what `startLibrarian` started: one process, or the API and (unless worker: false) the worker. */
  async startAll(): Promise<void> {
    if (!this.separate && this.withWorker) return this.startPart('start');
    await this.startPart('server');
    if (this.withWorker) await this.startPart('worker');
  }

  /** Stops and starts every process (after a change of its configuration file). */
  async restart(): Promise<void> {
    await this.stopProcesses();
    await this.startAll();
  }

  async startApi(): Promise<void> {
    this.needsSeparate('startApi');
    await this.startPart('server');
  }

  async startWorker(): Promise<void> {
    this.needsSeparate('startWorker');
    await this.startPart('worker');
  }

  private needsSeparate(what: string): void {
    if (!this.separate) throw new Error(`${what}: start the Librarian with separate: true to run its API and worker as two processes`);
  }

  /** Sends `signal` at once and resolves with how the process ended (undefined: it was not running). */
  private async stopPart(part: Part, signal: NodeJS.Signals): Promise<PartExit | undefined> {
    const child = this.children.get(part);
    if (!child || child.exitCode !== null || child.signalCode !== null) return undefined;
    return new Promise<PartExit>((resolve) => {
      child.once('exit', (code, sig) => resolve({ code, signal: sig }));
      child.kill(signal);
      if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 40_000).unref();
    });
  }

  stopApi(signal: NodeJS.Signals = 'SIGTERM'): Promise<PartExit | undefined> {
    this.needsSeparate('stopApi');
    return this.stopPart('server', signal);
  }

  stopWorker(signal: NodeJS.Signals = 'SIGTERM'): Promise<PartExit | undefined> {
    this.needsSeparate('stopWorker');
    return this.stopPart('worker', signal);
  }

  /** Stops every process of this Librarian (the configuration and catalog stay). */
  async stopProcesses(): Promise<void> {
    await Promise.all([...this.children.keys()].map((p) => this.stopPart(p, 'SIGTERM')));
  }

  /** Writes a connections file for the CLI pointing at this Librarian as `user`. */
  cliEnv(username = this.admin.username, password = this.admin.password): NodeJS.ProcessEnv {
    const file = path.join(this.dir, `connections-${username}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        default: this.name,
        connections: {
          [this.name]: {
            host: '127.0.0.1',
            port: Number(new URL(this.url).port),
            user: username,
            password,
            librarianName: this.name,
            temporalAddress: process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS,
            temporalNamespace: 'default',
          },
        },
      }),
      { mode: 0o600 },
    );
    return { LIBRARIAN_CLIENT_CONFIG: file, LIBRARIAN_CONNECTION: undefined, LIBRARIAN_CONFIG: undefined };
  }

  /** `librarian ARGS` as this Librarian's admin (or `username`), in this process. */
  cli(args: string[], opts: { username?: string; password?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
    return runCli(args, { env: { ...this.cliEnv(opts.username, opts.password), ...opts.env } });
  }

  async stop(): Promise<void> {
    running.delete(this);
    await this.stopProcesses();
    if (this.domainP) await (await this.domainP).close();
    if (!process.env.LIBRARIAN_TEST_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(from)) {
    const cur = into[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      deepMerge(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else into[k] = v;
  }
}

/** A Librarian's configuration file and its `setup` (in this process), without starting it. */
export async function prepareLibrarian(opts: LibrarianOptions = {}): Promise<LibrarianHandle> {
  const name = opts.name ?? uniqueName('lib');
  const provider = opts.provider ?? 'sqlite';
  const dir = mkdtempSync(path.join(os.tmpdir(), `librarian-${name}-`));
  const port = await freePort();
  const stores = opts.stores ?? [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' }];
  const config = {
    name,
    displayedSiteName: `Test ${name}`,
    dataDir: '.',
    database: provider === 'postgresql' ? { provider, url: await createPgDatabase() } : { provider, url: 'file:catalog.db' },
    api: { host: '127.0.0.1', port },
    temporal: { address: process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS, namespace: 'default' },
    log: { level: 'info' },
    encryptionKey: `test-key-${randomBytes(8).toString('hex')}`,
    stores,
  };
  deepMerge(config, opts.config ?? {});
  mkdirSync(dir, { recursive: true });
  const configPath = path.join(dir, 'librarian.yaml');
  writeFileSync(configPath, YAML.stringify(config));
  const admin = { username: 'admin', password: `pw-${randomBytes(8).toString('hex')}` };
  await setup({ ...loadConfig(configPath, {}), log: { level: 'warn' } }, { adminUser: admin.username, adminPassword: admin.password, temporal: true });
  const handle = new LibrarianHandle(name, dir, configPath, `http://127.0.0.1:${port}`, provider, admin, opts.separate ?? false, opts.worker !== false);
  running.add(handle);
  return handle;
}

export async function startLibrarian(opts: LibrarianOptions = {}): Promise<LibrarianHandle> {
  const handle = await prepareLibrarian(opts);
  await handle.startAll();
  return handle;
}

/** Stops every Librarian a test file started (call from afterAll). */
export async function stopAllLibrarians(): Promise<void> {
  await Promise.all([...running].map((h) => h.stop()));
}

/**
 * Makes `from` able to send to `to`, as operators would: on `to`, an account named after `from`
 * (READAPPEND); on `from`, one named after `to` (CALLBACK, for its callbacks); each registers the
 * other as a peer with its own account there.
 */
export async function connectPeers(from: LibrarianHandle, to: LibrarianHandle): Promise<void> {
  const onTo = `pw-${randomBytes(6).toString('hex')}:with-colon`;
  const onFrom = `pw-${randomBytes(6).toString('hex')}`;
  await to.client().post('users/create', { username: from.name, password: onTo, permission: 'READAPPEND' });
  await from.client().post('users/create', { username: to.name, password: onFrom, permission: 'CALLBACK' });
  await from.client().post('admin/librarians/add', { librarian_name: to.name, url: '127.0.0.1', port: Number(new URL(to.url).port), authenticator: `${from.name}:${onTo}` });
  await to.client().post('admin/librarians/add', { librarian_name: from.name, url: '127.0.0.1', port: Number(new URL(from.url).port), authenticator: `${to.name}:${onFrom}` });
}

export { spawnCli };
