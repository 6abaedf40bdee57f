#!/usr/bin/env node
// npm run build: Prisma clients (both providers), TypeScript, the oclif command manifest and the
// prebuilt workflow bundle.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPrisma, syncSchemas } from './prisma.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const MANIFEST = path.join(root, 'oclif.manifest.json');

function step(name, fn) {
  const t = Date.now();
  fn();
  console.error(`build: ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}

function check(r, what) {
  if (r.status !== 0) {
    console.error(`build: ${what} failed`);
    process.exit(r.status ?? 1);
  }
}

step('prisma clients', () => {
  syncSchemas();
  for (const provider of ['sqlite', 'postgresql']) check(runPrisma(provider, ['generate', '--no-hints']), `prisma generate (${provider})`);
});
step('typescript', () => {
  // From empty: a module moved or removed must not linger in dist/ and be loaded from there.
  rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  rmSync(MANIFEST, { force: true });
  check(spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' }), 'tsc');
});
// Without a manifest oclif imports all commands (and all they import) to run any one of them.
// @oclif/core's own Plugin, told to ignore any manifest, builds the data the same way it would at
// run time (the `oclif manifest` command does just this, but its package is large); a command
// that fails to load fails the build instead of vanishing from the CLI.
{
  const t = Date.now();
  const { Plugin } = require('@oclif/core');
  const plugin = new Plugin({ root, type: 'core', isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true });
  await plugin.load();
  writeFileSync(MANIFEST, `${JSON.stringify(plugin.manifest, null, 2)}\n`);
  console.error(`build: oclif manifest, ${Object.keys(plugin.manifest.commands).length} commands (${((Date.now() - t) / 1000).toFixed(1)} s)`);
}
// Bundling workflows at worker start takes seconds and webpack; do it once here.
const { bundleWorkflowCode } = require('@temporalio/worker');
const t = Date.now();
const { code } = await bundleWorkflowCode({
  workflowsPath: path.join(root, 'dist/workflows/index.js'),
  logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
});
writeFileSync(path.join(root, 'dist/workflow-bundle.js'), code);
console.error(`build: workflow bundle (${((Date.now() - t) / 1000).toFixed(1)} s)`);
