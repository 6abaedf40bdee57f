/**
 * Applies the committed migrations (prisma/migrations for PostgreSQL, prisma/sqlite/migrations
 * for SQLite) and records them in Prisma's own `_prisma_migrations` table, so `prisma migrate
 * deploy` and this code agree on what has been applied. We apply them ourselves because the
 * Prisma CLI needs a native schema engine (a download) or, through the PostgreSQL driver
 * adapter, fails on catalog columns of type `name`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Config } from '../../config';
import { sqlitePath } from './db';

export const PRISMA_DIR = path.resolve(__dirname, '../../../prisma');

interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export function migrationsFor(provider: Config['database']['provider']): Migration[] {
  const dir = provider === 'postgresql' ? path.join(PRISMA_DIR, 'migrations') : path.join(PRISMA_DIR, 'sqlite/migrations');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(dir, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const sql = readFileSync(path.join(dir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const SQLITE_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" TEXT PRIMARY KEY NOT NULL, "checksum" TEXT NOT NULL, "finished_at" DATETIME,
  "migration_name" TEXT NOT NULL, "logs" TEXT, "rolled_back_at" DATETIME,
  "started_at" DATETIME NOT NULL DEFAULT current_timestamp, "applied_steps_count" INTEGER UNSIGNED NOT NULL DEFAULT 0)`;
const PG_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`;

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

function check(all: Migration[], applied: { migration_name: string; checksum: string }[]): MigrationStatus {
  const known = new Map(all.map((m) => [m.name, m]));
  for (const row of applied) {
    const m = known.get(row.migration_name);
    if (!m) {
      throw new Error(
        `The catalog has migration ${row.migration_name}, which this version of Librarian does not know. ` +
          'It was set up by a newer version: run that version, or restore the catalog from a backup.',
      );
    }
    if (m.checksum !== row.checksum) {
      throw new Error(`Migration ${row.migration_name} was changed after it was applied. Restore prisma/ from the release you installed.`);
    }
  }
  const done = new Set(applied.map((r) => r.migration_name));
  return { applied: [...done], pending: all.filter((m) => !done.has(m.name)).map((m) => m.name) };
}

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function migrationStatus(database: Config['database']): Promise<MigrationStatus> {
  const all = migrationsFor(database.provider);
  if (database.provider === 'postgresql') {
    return withPg(database.url, async (c) => {
      const exists = await c.query(`SELECT to_regclass('"_prisma_migrations"') AS t`);
      if (!exists.rows[0].t) return { applied: [], pending: all.map((m) => m.name) };
      const rows = await c.query('SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
      return check(all, rows.rows);
    });
  }
  const file = sqlitePath(database.url);
  if (!existsSync(file)) return { applied: [], pending: all.map((m) => m.name) };
  const db = new Database(file, { readonly: true, timeout: 30_000 });
  try {
    const t = db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name='_prisma_migrations'`).get();
    if (!t) return { applied: [], pending: all.map((m) => m.name) };
    const rows = db
      .prepare('SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
      .all() as { migration_name: string; checksum: string }[];
    return check(all, rows);
  } finally {
    db.close();
  }
}

/** Applies every pending migration, each in its own transaction. Safe to run concurrently. */
export async function migrate(database: Config['database']): Promise<string[]> {
  const all = migrationsFor(database.provider);
  const appliedNow: string[] = [];
  if (database.provider === 'postgresql') {
    await withPg(database.url, async (c) => {
      // One migrator at a time across processes and hosts.
      await c.query('SELECT pg_advisory_lock(727274)');
      try {
        await c.query(PG_TABLE);
        const rows = await c.query('SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL');
        const { pending } = check(all, rows.rows);
        for (const name of pending) {
          const m = all.find((x) => x.name === name)!;
          await c.query('BEGIN');
          try {
            await c.query(m.sql);
            await c.query(
              'INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)',
              [randomUUID(), m.checksum, m.name],
            );
            await c.query('COMMIT');
            appliedNow.push(name);
          } catch (e) {
            await c.query('ROLLBACK');
            throw new Error(`Migration ${name} failed and was rolled back: ${(e as Error).message}`);
          }
        }
      } finally {
        await c.query('SELECT pg_advisory_unlock(727274)');
      }
    });
    return appliedNow;
  }
  const file = sqlitePath(database.url);
  // A first setup creates the catalog's directory (dataDir), as opening the catalog does.
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file, { timeout: 30_000 });
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SQLITE_TABLE);
    // BEGIN IMMEDIATE takes the write lock up front, so two migrators queue instead of racing.
    const run = db.transaction(() => {
      const rows = db
        .prepare('SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')
        .all() as { migration_name: string; checksum: string }[];
      const { pending } = check(all, rows);
      for (const name of pending) {
        const m = all.find((x) => x.name === name)!;
        db.exec(m.sql);
        db.prepare(
          `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES (?, ?, ?, ?, 1)`,
        ).run(randomUUID(), m.checksum, new Date().toISOString(), m.name);
        appliedNow.push(name);
      }
    });
    run.immediate();
  } finally {
    db.close();
  }
  return appliedNow;
}
