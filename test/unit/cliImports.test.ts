/**
 * Start-up of a command is mostly loading modules (docs/benchmarks.md, "CLI start-up"): a
 * command must load the protocol's schemas it calls, not all of them through src/protocol's
 * index (40 ms more for every command).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function protocolModulesLoaded(args: string[]): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-imports-'));
  const hook = path.join(dir, 'hook.js');
  const out = path.join(dir, 'loaded.json');
  writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  // Nothing listens on port 1: the command fails after loading what it needs.
  spawnSync(process.execPath, ['-r', hook, path.join(ROOT, 'bin/run.js'), ...args], { env: { ...process.env, HOME: dir, LIBRARIAN_URL: 'http://127.0.0.1:1' }, encoding: 'utf8' });
  const loaded: string[] = JSON.parse(readFileSync(out, 'utf8'));
  return loaded.filter((f) => f.startsWith(path.join(ROOT, 'dist/protocol/'))).map((f) => path.relative(path.join(ROOT, 'dist/protocol'), f)).sort();
}

test('ping and upload load only the protocol modules they call', () => {
  expect(protocolModulesLoaded(['ping'])).toEqual(['call.js', 'client.js', 'ping.js']);
  expect(protocolModulesLoaded(['upload', path.join(os.tmpdir(), 'no-such-file'), 'x'])).toEqual(['call.js', 'client.js', 'fields.js', 'uploads.js']);
});
