/**
 * Start-up of a command is mostly loading modules (docs/benchmarks.md, "CLI start-up"): a
 * command must load the protocol's schemas it calls, not all of them through src/protocol's
 * index (40 ms more for every command), and an upload of one small file neither the worker pool
 * (piscina) nor the tar writer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

function modulesLoaded(args: string[]): string[] {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-imports-'));
  const hook = path.join(dir, 'hook.js');
  const out = path.join(dir, 'loaded.json');
  writeFileSync(hook, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  // Nothing listens on port 1: the command fails after loading what it needs.
  spawnSync(process.execPath, ['-r', hook, path.join(ROOT, 'bin/run.js'), ...args], { env: { ...process.env, HOME: dir, LIBRARIAN_URL: 'http://127.0.0.1:1' }, encoding: 'utf8' });
  try {
    return JSON.parse(readFileSync(out, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const protocol = (loaded: string[]) => loaded.filter((f) => f.startsWith(path.join(ROOT, 'dist/protocol/'))).map((f) => path.relative(path.join(ROOT, 'dist/protocol'), f)).sort();
const packages = (loaded: string[]) => [...new Set(loaded.filter((f) => f.includes('/node_modules/')).map((f) => f.split('/node_modules/').pop()!.split('/')[0]!))];

test('ping and upload load only the protocol modules they call', () => {
  expect(protocol(modulesLoaded(['ping']))).toEqual(['call.js', 'client.js', 'ping.js']);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-imports-'));
  const small = path.join(dir, 'small.bin');
  writeFileSync(small, 'some bytes');
  const upload = modulesLoaded(['upload', small, 'x']);
  rmSync(dir, { recursive: true, force: true });
  expect(protocol(upload)).toEqual(['call.js', 'client.js', 'fields.js', 'uploads.js']);
  // A small file is hashed on the calling thread, and a file is not a tar stream.
  expect(packages(upload)).toEqual(expect.arrayContaining(['xxhash-addon']));
  expect(packages(upload).filter((p) => ['piscina', 'tar-stream'].includes(p))).toEqual([]);
});
