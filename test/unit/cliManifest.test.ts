/**
 * The oclif manifest (oclif.manifest.json, written by `npm run build`) is what the CLI reads to
 * know its commands and their flags without importing them all. A stale one would hide a command
 * or a flag, so it must say exactly what the built commands say.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Plugin } from '@oclif/core';

const ROOT = path.resolve(__dirname, '../..');

function commandIds(dir: string, prefix: string[] = []): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) return commandIds(p, [...prefix, e]);
    return e.endsWith('.ts') ? [[...prefix, e.replace(/\.ts$/, '')].join(':')] : [];
  });
}

test('the oclif manifest lists every command with the flags and arguments the built commands have', async () => {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'));
  // What @oclif/core builds from the compiled commands themselves, ignoring the manifest.
  const fresh = new Plugin({ root: ROOT, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
  await fresh.load();
  expect(Object.keys(manifest.commands).sort()).toEqual(commandIds(path.join(ROOT, 'src/cli/commands')).sort());
  // Under jest oclif finds the TypeScript sources for the compiled commands (src/ instead of
  // dist/): where a command's module lies is not what this test is about.
  const described = (m: { commands: Record<string, { relativePath?: string[] }> }) =>
    Object.fromEntries(Object.entries(m.commands).map(([id, { relativePath: _where, ...c }]) => [id, c]));
  expect(described(manifest)).toEqual(described(JSON.parse(JSON.stringify(fresh.manifest))));
  expect(manifest.version).toBe(fresh.manifest.version);
});
