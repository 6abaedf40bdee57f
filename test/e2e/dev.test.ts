/**
 * The README's first command: `librarian dev` brings up Temporal (with its Web UI), the API and
 * the worker on SQLite, prints how to reach them, and stops cleanly on Ctrl-C, also in the middle
 * of a commit (in order: the API stops taking requests, the worker drains, connections close).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import YAML from 'yaml';
import { portInUse } from '../../src/cli/devServer';
import { loadConfig } from '../../src/config';
import { createDomain } from '../../src/domain';
import { runCli, spawnCli } from '../support/cli';
import { pendingActivity } from '../support/history';
import { freePorts, waitFor } from '../support/ports';
import { ROOT } from '../support/temporalServer';

/** A data directory with a configuration for `librarian dev` on free ports (not 8080, 7233, 8233, which may be busy here). */
async function devSite(name: string, extra: Record<string, unknown> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'librarian-dev-'));
  const data = path.join(dir, 'data');
  mkdirSync(data);
  const [api, temporal, ui] = (await freePorts(3)) as [number, number, number];
  const configFile = path.join(data, 'librarian.yaml');
  writeFileSync(
    configFile,
    YAML.stringify({
      name,
      dataDir: '.',
      api: { port: api },
      temporal: { address: `127.0.0.1:${temporal}`, uiUrl: `http://127.0.0.1:${ui}` },
      ...extra,
      stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' }],
    }),
  );
  const env = { ...process.env, LIBRARIAN_CLIENT_CONFIG: path.join(dir, 'connections.json') };
  return { dir, data, configFile, api, temporal, ui, env };
}

/** `librarian dev` as a process, its output collected. */
function spawnDev(site: Awaited<ReturnType<typeof devSite>>) {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'dev', '--data-dir', site.data], { env: site.env });
  const output = { out: '', err: '' };
  child.stdout.on('data', (d) => (output.out += d));
  child.stderr.on('data', (d) => (output.err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output, exited };
}

test('librarian dev runs the whole Librarian and stops cleanly', async () => {
  const site = await devSite('devtest');
  const { dir, data, api, temporal, ui, env } = site;
  const { child, output, exited } = spawnDev(site);
  try {
    await Promise.race([
      waitFor('librarian dev to report it is running', async () => output.out.includes('is running'), 120_000),
      exited.then((code) => {
        throw new Error(`librarian dev exited with code ${code} before it was running`);
      }),
    ]).catch((e: Error) => {
      throw new Error(`${e.message}\n--- stdout:\n${output.out.slice(-3000)}\n--- stderr:\n${output.err.slice(-3000)}`);
    });
    expect(output.out).toContain(`API:             http://127.0.0.1:${api}/api/v2`);
    expect(output.out).toContain(`Temporal Web UI: http://127.0.0.1:${ui}`);
    const password = /Admin:\s+admin \/ (\S+)/.exec(output.out)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(16);

    // The saved connection, named after the Librarian, works for the other commands, with mode 600.
    expect(Object.keys(JSON.parse(readFileSync(path.join(dir, 'connections.json'), 'utf8')).connections)).toEqual(['devtest']);
    const ping = await runCli(['ping', '--json'], { env });
    expect(ping.status).toBe(0);
    expect(ping.json()).toMatchObject({ librarian_name: 'devtest', username: 'admin' });
    expect(statSync(path.join(dir, 'connections.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(data, 'dev-admin.json')).mode & 0o777).toBe(0o600);
    expect((await runCli(['stores', 'check', 'main', '--json'], { env })).json()).toMatchObject({ available: true, writable: true });
    const ui200 = await fetch(`http://127.0.0.1:${ui}/`);
    expect(ui200.status).toBe(200);
    expect(statSync(path.join(data, 'temporal.db')).size).toBeGreaterThan(0);
    // Temporal's state in WAL mode (temporal-dev/start-dev.sh): its log sits beside the database while it runs.
    expect(statSync(path.join(data, 'temporal.db-wal')).size).toBeGreaterThan(0);
    expect(statSync(path.join(data, 'catalog.db')).size).toBeGreaterThan(0);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(output.out).toContain('Stopped.');
  expect(await portInUse('127.0.0.1', temporal)).toBe(false);
  expect(await portInUse('127.0.0.1', api)).toBe(false);
});

/** Starts `librarian dev` and waits until it says it is running; its admin password from what it printed. */
async function runningDev(site: Awaited<ReturnType<typeof devSite>>) {
  const dev = spawnDev(site);
  await waitFor('librarian dev to report it is running', async () => dev.output.out.includes('is running') || dev.child.exitCode !== null, 120_000);
  if (dev.child.exitCode !== null) throw new Error(`librarian dev exited with ${dev.child.exitCode}:\n${dev.output.out}\n${dev.output.err}`);
  return { ...dev, password: /Admin:\s+admin \/ (\S+)/.exec(dev.output.out)![1]! };
}

test('a changed admin password survives the next dev run; dev says so and stops when its Temporal server dies', async () => {
  const site = await devSite('devagain');
  const first = await runningDev(site);
  let second: Awaited<ReturnType<typeof runningDev>> | undefined;
  try {
    const changed = await runCli(['users', 'passwd', '--json'], { env: site.env });
    expect(changed.status).toBe(0);
    const newPassword = changed.json<{ password: string }>().password;
    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);

    second = await runningDev(site);
    expect(second.password).toBe(newPassword);
    const saved = JSON.parse(readFileSync(path.join(site.dir, 'connections.json'), 'utf8')) as { default: string; connections: Record<string, { password: string }> };
    expect([saved.default, saved.connections.devagain?.password]).toEqual(['devagain', newPassword]);
    expect((await runCli(['ping', '--json'], { env: site.env })).json()).toMatchObject({ librarian_name: 'devagain', username: 'admin' });

    // The Temporal server dies under it (the pattern is its command line, with this run's port).
    expect(spawnSync('pkill', ['-KILL', '-f', '--', `--port ${site.temporal} --ui-port`]).status).toBe(0);
    expect(await second.exited).toBe(1);
    expect(second.output.err).toMatch(/The Temporal dev server stopped unexpectedly \(killed by SIGKILL\)/);
    expect(second.output.err).toContain(`Run "librarian dev" again: nothing is lost, workflows resume from ${path.join(site.data, 'temporal.db')}.`);
    expect(await portInUse('127.0.0.1', site.api)).toBe(false);
  } finally {
    for (const d of [first, second]) if (d && d.child.exitCode === null) d.child.kill('SIGKILL');
  }
  rmSync(site.dir, { recursive: true, force: true });
});

/** md5 of 2 GiB of zero bytes: the data of a sparse file whose hashing takes seconds. */
const ZEROS_2GIB = { size: 2 * 1024 ** 3, checksum: 'md5:::a981130cf2b7e09f4686dc273cf7187e' };

test('SIGTERM with a commit in flight whose client left: the commit finishes, then dev stops cleanly', async () => {
  const site = await devSite('devstop', { checksums: { threads: 1 } });
  const { dir, configFile, api, temporal: temporalPort } = site;
  const { child, output, exited } = spawnDev(site);
  let temporal: Client | undefined;
  try {
    await waitFor('librarian dev to report it is running', async () => output.out.includes('is running') || child.exitCode !== null, 120_000);
    expect(child.exitCode).toBeNull();
    const password = /Admin:\s+admin \/ (\S+)/.exec(output.out)![1]!;
    const auth = { Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`, 'Content-Type': 'application/json' };
    const url = `http://127.0.0.1:${api}/api/v2`;
    const staged = (await (
      await fetch(`${url}/upload/stage`, { method: 'POST', headers: auth, body: JSON.stringify({ upload_size: ZEROS_2GIB.size, upload_checksum: ZEROS_2GIB.checksum, upload_name: 'zeros.bin', destination_location: 'obs/zeros.bin' }) })
    ).json()) as { transfer_id: number; staging_location: string };
    const fd = openSync(staged.staging_location, 'w');
    ftruncateSync(fd, ZEROS_2GIB.size);
    closeSync(fd);
    // The commit starts; its client goes away while the data is being verified.
    const leaving = new AbortController();
    const commit = fetch(`${url}/upload/commit`, { method: 'POST', headers: auth, body: JSON.stringify({ transfer_id: staged.transfer_id }), signal: leaving.signal }).catch(() => 'left');
    temporal = new Client({ connection: await Connection.connect({ address: `127.0.0.1:${temporalPort}` }) });
    await waitFor('the verification to run', async () => (await pendingActivity(temporal!, 'upload/devstop/obs/zeros.bin', 'verifyAndCommitUpload'))?.state === 'STARTED', 60_000, 100);
    leaving.abort();
    expect(await commit).toBe('left');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await temporal?.connection.close();
  }
  expect(output.err).not.toContain('Channel has been shut down');
  expect(output.out).toContain('Stopped.');
  // The API waited for the commit (the worker was still running), then stopped.
  const domain = await createDomain({ ...loadConfig(configFile, {}), log: { level: 'warn' } }, 'test');
  try {
    expect(await domain.db.incomingTransfer.findFirst({ where: { storePath: 'obs/zeros.bin' } })).toMatchObject({ status: 'COMPLETED' });
    expect(await domain.db.file.findUnique({ where: { name: 'obs/zeros.bin' } })).toMatchObject({ size: BigInt(ZEROS_2GIB.size), checksum: ZEROS_2GIB.checksum });
  } finally {
    await domain.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

test('librarian dev with its API port taken says so and starts nothing', async () => {
  const { data, api, temporal, env } = await devSite('devtest');
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(api, '127.0.0.1', r));
  try {
    const r = spawnCli(['dev', '--data-dir', data], { env });
    expect(r.status).toBe(1);
    // oclif wraps the message at the terminal width behind " ›" markers.
    expect(r.stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ')).toContain(`Port ${api} on 127.0.0.1 is already in use, so the API cannot start. Stop what uses it, or change api.port in ${path.join(data, 'librarian.yaml')}.`);
    expect(await portInUse('127.0.0.1', temporal)).toBe(false);
    expect(existsSync(path.join(data, 'catalog.db'))).toBe(false);
  } finally {
    squatter.close();
  }
});
