/**
 * A real Librarian for end-to-end tests: `librarian setup`, then `librarian server start` and
 * `librarian worker start` as separate processes with their own configuration, catalog
 * (SQLite file or a fresh PostgreSQL database) and stores. Tests talk to it over HTTP and
 * inspect its catalog and disks.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import YAML from 'yaml';
import { LibrarianClient } from '../../src/shared/librarianClient';
import { loadConfig } from '../../src/config';
import { createDomain, type Domain } from '../../src/domain';
import { freePort, waitFor } from './ports';
import { ROOT } from './temporalServer';

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

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [RUN, ...args], {
    env: { ...process.env, ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
  });
  return {
    status: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json<T>() {
      try {
        return JSON.parse(r.stdout) as T;
      } catch {
        throw new Error(`CLI output is not JSON (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
      }
    },
  };
}

export interface LibrarianOptions {
  name?: string;
  provider?: Provider;
  /** Extra settings merged into the generated configuration. */
  config?: Record<string, unknown>;
  /** Store definitions; default: one ingestable store "main" inside the Librarian's directory. */
  stores?: Record<string, unknown>[];
  worker?: boolean;
}

export class LibrarianHandle {
  api?: ChildProcess;
  worker?: ChildProcess;
  private servicesP?: Promise<Domain>;
  readonly clientConfig: string;

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly configPath: string,
    readonly url: string,
    readonly provider: Provider,
    readonly admin: { username: string; password: string },
  ) {
    this.clientConfig = path.join(dir, 'connections.json');
  }

  get config() {
    return loadConfig(this.configPath, {});
  }

  client(username = this.admin.username, password = this.admin.password): LibrarianClient {
    return new LibrarianClient({ url: this.url, username, password, timeoutMs: 120_000 });
  }

  anonymous(): LibrarianClient {
    return new LibrarianClient({ url: this.url });
  }

  /** In-process services over the same catalog, for assertions on rows. */
  services(): Promise<Domain> {
    this.servicesP ??= createDomain(loadConfig(this.configPath, {}), 'test');
    return this.servicesP;
  }

  private spawnPart(part: 'server' | 'worker'): ChildProcess {
    const log = openSync(path.join(this.dir, `${part}.log`), 'a');
    const child = spawn(process.execPath, [RUN, part, 'start', '--config', this.configPath], {
      env: { ...process.env, LIBRARIAN_CONFIG: undefined },
      stdio: ['ignore', log, log],
    });
    return child;
  }

  logOf(part: 'server' | 'worker'): string {
    const f = path.join(this.dir, `${part}.log`);
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  async startApi(): Promise<void> {
    const child = this.spawnPart('server');
    this.api = child;
    await waitFor(`API of ${this.name} at ${this.url}`, async () => {
      if (child.exitCode !== null) throw new Error(`API exited with ${child.exitCode}:\n${this.logOf('server').slice(-3000)}`);
      const r = await fetch(`${this.url}/api/v2/ping/`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
      return r.ok;
    });
  }

  async startWorker(): Promise<void> {
    const before = this.logOf('worker').length;
    const child = this.spawnPart('worker');
    this.worker = child;
    await waitFor(`worker of ${this.name}`, async () => {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}:\n${this.logOf('worker').slice(-3000)}`);
      return this.logOf('worker').slice(before).includes('Librarian worker polling');
    });
  }

  private static async stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
      if (signal !== 'SIGKILL') setTimeout(() => child.kill('SIGKILL'), 40_000).unref();
    });
  }

  async stopApi(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await LibrarianHandle.stopChild(this.api, signal);
  }

  async stopWorker(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await LibrarianHandle.stopChild(this.worker, signal);
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
    return { LIBRARIAN_CLIENT_CONFIG: file, LIBRARIAN_CONNECTION: undefined };
  }

  cli(args: string[], opts: { username?: string; password?: string; input?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
    return runCli(args, { env: { ...this.cliEnv(opts.username, opts.password), ...opts.env }, input: opts.input });
  }

  async stop(): Promise<void> {
    running.delete(this);
    await Promise.all([this.stopApi(), this.stopWorker()]);
    if (this.servicesP) await (await this.servicesP).close();
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

export async function startLibrarian(opts: LibrarianOptions = {}): Promise<LibrarianHandle> {
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
  const setup = runCli(['setup', '--config', configPath, '--admin-password-stdin'], { input: admin.password, env: { LIBRARIAN_CONFIG: undefined } });
  if (setup.status !== 0) throw new Error(`librarian setup failed (${setup.status}):\n${setup.stdout}\n${setup.stderr}`);
  const handle = new LibrarianHandle(name, dir, configPath, `http://127.0.0.1:${port}`, provider, admin);
  running.add(handle);
  await handle.startApi();
  if (opts.worker !== false) await handle.startWorker();
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
