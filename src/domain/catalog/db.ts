/**
 * The catalog connection. Both providers use Prisma's WebAssembly query compiler with a driver
 * adapter (no native engine downloads). The two generated clients differ only in provider, so
 * the domain layer is written against the PostgreSQL client's types.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import type { Config } from '../../config';
import { Prisma, PrismaClient as PgClient } from '../../generated/postgres/client';
import { PrismaClient as SqliteClient } from '../../generated/sqlite/client';

export type Db = PgClient;
export { Prisma };
/** A catalog connection or an open transaction: what queries run on. */
export type Query = Db | Prisma.TransactionClient;

export function sqlitePath(url: string): string {
  return url.replace(/^file:/, '');
}

export async function openDb(database: Config['database']): Promise<Db> {
  if (database.provider === 'postgresql') {
    return new PgClient({ adapter: new PrismaPg({ connectionString: database.url }) });
  }
  const file = sqlitePath(database.url);
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
  // The API and the worker are separate processes sharing this file: WAL lets readers run
  // beside the single writer, and the busy timeout makes writers queue instead of failing.
  const client = new SqliteClient({ adapter: new PrismaBetterSQLite3({ url: `file:${file}`, timeout: 30_000 }) });
  await client.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await client.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  return client as unknown as Db;
}
