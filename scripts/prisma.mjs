#!/usr/bin/env node
// Runs the Prisma CLI without native engines (see docs/development.md):
//   node scripts/prisma.mjs sync-schemas            derive prisma/sqlite/schema.prisma
//   node scripts/prisma.mjs <sqlite|postgresql> <prisma args...>
// The CLI insists that native engine files exist before it runs, even though with
// `engine: "js"` it never executes them; any existing file satisfies the check.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function sqliteSchema(source) {
  return (
    '// GENERATED from prisma/schema.prisma by scripts/prisma.mjs; do not edit.\n' +
    source
      .replace('provider = "postgresql"', 'provider = "sqlite"')
      .replace('url      = "postgresql://unused"', 'url      = "file:unused.db"')
      .replace('output       = "../src/generated/postgres"', 'output       = "../../src/generated/sqlite"')
      .replace(/ *@db\.\w+(\([^)]*\))?/g, '')
  );
}

export function syncSchemas() {
  const source = readFileSync(path.join(root, 'prisma/schema.prisma'), 'utf8');
  mkdirSync(path.join(root, 'prisma/sqlite'), { recursive: true });
  writeFileSync(path.join(root, 'prisma/sqlite/schema.prisma'), sqliteSchema(source));
}

export function runPrisma(provider, args, extraEnv = {}) {
  const fake = path.join(root, 'package.json');
  return spawnSync(process.execPath, [path.join(root, 'node_modules/prisma/build/index.js'), ...args, '--config', path.join(root, 'prisma/prisma.config.ts')], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: fake,
      PRISMA_QUERY_ENGINE_LIBRARY: fake,
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
      LIBRARIAN_PRISMA_PROVIDER: provider,
      ...extraEnv,
    },
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, ...rest] = process.argv.slice(2);
  syncSchemas();
  if (cmd !== 'sync-schemas') {
    const r = runPrisma(cmd, rest);
    process.exit(r.status ?? 1);
  }
}
