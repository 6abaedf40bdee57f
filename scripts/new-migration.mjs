#!/usr/bin/env node
// Writes the migrations for a change to prisma/schema.prisma, for both providers:
//   LIBRARIAN_PRISMA_URL=postgresql://.../scratch node scripts/new-migration.mjs <name> [git-rev]
// The old schema is prisma/schema.prisma at git-rev (default HEAD). `migrate diff` connects to a
// database through the driver adapter, hence the scratch PostgreSQL URL.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runPrisma, sqliteSchema, syncSchemas } from './prisma.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [name, rev = 'HEAD'] = process.argv.slice(2);
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error('usage: new-migration.mjs <snake_case_name> [git-rev]');
  process.exit(2);
}
if (!process.env.LIBRARIAN_PRISMA_URL) {
  console.error('Set LIBRARIAN_PRISMA_URL to a scratch PostgreSQL database.');
  process.exit(2);
}
syncSchemas();
const tmp = mkdtempSync(path.join(os.tmpdir(), 'migration-'));
const old = execFileSync('git', ['show', `${rev}:prisma/schema.prisma`], { cwd: root, encoding: 'utf8' });
writeFileSync(path.join(tmp, 'old-pg.prisma'), old);
writeFileSync(path.join(tmp, 'old-sqlite.prisma'), sqliteSchema(old));
const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
for (const [provider, oldFile, dir, schema] of [
  ['postgresql', 'old-pg.prisma', 'prisma/migrations', 'prisma/schema.prisma'],
  ['sqlite', 'old-sqlite.prisma', 'prisma/sqlite/migrations', 'prisma/sqlite/schema.prisma'],
]) {
  const out = path.join(root, dir, `${stamp}_${name}`);
  mkdirSync(out, { recursive: true });
  const env = provider === 'sqlite' ? { LIBRARIAN_PRISMA_URL: `file:${path.join(tmp, 'scratch.db')}` } : {};
  const r = runPrisma(provider, ['migrate', 'diff', '--from-schema-datamodel', path.join(tmp, oldFile), '--to-schema-datamodel', path.join(root, schema), '--script', '-o', path.join(out, 'migration.sql')], env);
  if (r.status !== 0) process.exit(r.status ?? 1);
  console.log(`${provider}: ${path.relative(root, out)}/migration.sql\n${readFileSync(path.join(out, 'migration.sql'), 'utf8')}`);
}
