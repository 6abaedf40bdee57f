// Prisma CLI configuration used by scripts/prisma.mjs and src/services/migrate.ts.
// The CLI runs its WebAssembly schema engine through a driver adapter, so no native engine is
// downloaded. The provider and URL come from the calling script (LIBRARIAN_PRISMA_PROVIDER,
// LIBRARIAN_PRISMA_URL); nothing else reads these variables.
import path from 'node:path';
import { defineConfig } from 'prisma/config';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';

const provider = process.env.LIBRARIAN_PRISMA_PROVIDER === 'postgresql' ? 'postgresql' : 'sqlite';
const url = process.env.LIBRARIAN_PRISMA_URL ?? 'file::memory:';
const dir = provider === 'postgresql' ? __dirname : path.join(__dirname, 'sqlite');

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join(dir, 'schema.prisma'),
  migrations: { path: path.join(dir, 'migrations') },
  adapter: async () =>
    provider === 'postgresql'
      ? new PrismaPg({ connectionString: url })
      : new PrismaBetterSQLite3({ url }),
});
