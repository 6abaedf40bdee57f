#!/usr/bin/env node
// npm run build: Prisma clients (both providers), TypeScript, and the prebuilt workflow bundle.
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPrisma, syncSchemas } from './prisma.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

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
  check(spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' }), 'tsc');
});
// Bundling workflows at worker start takes seconds and webpack; do it once here.
const { bundleWorkflowCode } = require('@temporalio/worker');
const t = Date.now();
const { code } = await bundleWorkflowCode({
  workflowsPath: path.join(root, 'dist/workflows/index.js'),
  logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
});
writeFileSync(path.join(root, 'dist/workflow-bundle.js'), code);
console.error(`build: workflow bundle (${((Date.now() - t) / 1000).toFixed(1)} s)`);
