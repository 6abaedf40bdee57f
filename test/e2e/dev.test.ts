/**
 * The README's first command: `librarian dev` brings up Temporal (with its Web UI), the API and
 * the worker on SQLite, prints how to reach them, and stops cleanly on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { portInUse } from '../../src/cli/devServer';
import { runCli, spawnCli } from '../support/cli';
import { freePorts, waitFor } from '../support/ports';
import { ROOT } from '../support/temporalServer';

test('librarian dev runs the whole Librarian and stops cleanly', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'librarian-dev-'));
  const data = path.join(dir, 'data');
  mkdirSync(data);
  const [api, temporal, ui] = (await freePorts(3)) as [number, number, number];
  // Free ports instead of the defaults (8080, 7233, 8233), which may be busy on a test machine.
  writeFileSync(
    path.join(data, 'librarian.yaml'),
    YAML.stringify({
      name: 'devtest',
      dataDir: '.',
      api: { port: api },
      temporal: { address: `127.0.0.1:${temporal}`, uiUrl: `http://127.0.0.1:${ui}` },
      stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' }],
    }),
  );
  const env = { ...process.env, LIBRARIAN_CLIENT_CONFIG: path.join(dir, 'connections.json') };
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/run.js'), 'dev', '--data-dir', data], { env });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await Promise.race([
      waitFor('librarian dev to report it is running', async () => out.includes('is running'), 120_000),
      exited.then((code) => {
        throw new Error(`librarian dev exited with code ${code} before it was running`);
      }),
    ]).catch((e: Error) => {
      throw new Error(`${e.message}\n--- stdout:\n${out.slice(-3000)}\n--- stderr:\n${err.slice(-3000)}`);
    });
    expect(out).toContain(`API:             http://127.0.0.1:${api}/api/v2`);
    expect(out).toContain(`Temporal Web UI: http://127.0.0.1:${ui}`);
    const password = /Admin:\s+admin \/ (\S+)/.exec(out)![1]!;
    expect(password.length).toBeGreaterThanOrEqual(16);

    // The saved "dev" connection works for the other commands, with mode 600.
    const ping = await runCli(['ping', '--json'], { env });
    expect(ping.status).toBe(0);
    expect(ping.json()).toMatchObject({ librarian_name: 'devtest', username: 'admin' });
    expect(statSync(path.join(dir, 'connections.json')).mode & 0o777).toBe(0o600);
    expect(statSync(path.join(data, 'dev-admin.json')).mode & 0o777).toBe(0o600);
    expect((await runCli(['stores', 'check', 'main', '--json'], { env })).json()).toMatchObject({ available: true, writable: true });
    const ui200 = await fetch(`http://127.0.0.1:${ui}/`);
    expect(ui200.status).toBe(200);
    expect(statSync(path.join(data, 'temporal.db')).size).toBeGreaterThan(0);
    expect(statSync(path.join(data, 'catalog.db')).size).toBeGreaterThan(0);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
  expect(out).toContain('Stopped.');
  expect(await portInUse('127.0.0.1', temporal)).toBe(false);
  expect(await portInUse('127.0.0.1', api)).toBe(false);
});

test('librarian dev with its API port taken says so and starts nothing', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'librarian-dev-'));
  const data = path.join(dir, 'data');
  mkdirSync(data);
  const [api, temporal, ui] = (await freePorts(3)) as [number, number, number];
  const squatter = net.createServer();
  await new Promise<void>((r) => squatter.listen(api, '127.0.0.1', r));
  try {
    writeFileSync(
      path.join(data, 'librarian.yaml'),
      YAML.stringify({
        name: 'devtest',
        dataDir: '.',
        api: { port: api },
        temporal: { address: `127.0.0.1:${temporal}`, uiUrl: `http://127.0.0.1:${ui}` },
        stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' }],
      }),
    );
    const r = spawnCli(['dev', '--data-dir', data], { env: { ...process.env, LIBRARIAN_CLIENT_CONFIG: path.join(dir, 'connections.json') } });
    expect(r.status).toBe(1);
    // oclif wraps the message at the terminal width behind " ›" markers.
    expect(r.stderr.replace(/\s*›\s*/g, ' ').replace(/\s+/g, ' ')).toContain(`Port ${api} on 127.0.0.1 is already in use, so the API cannot start. Stop what uses it, or change api.port in ${path.join(data, 'librarian.yaml')}.`);
    expect(await portInUse('127.0.0.1', temporal)).toBe(false);
    expect(existsSync(path.join(data, 'catalog.db'))).toBe(false);
  } finally {
    squatter.close();
  }
});
