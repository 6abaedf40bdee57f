import { startPostgres } from './postgres';
import { startTemporal } from './temporalServer';

declare global {
  // eslint-disable-next-line no-var
  var __librarianTestTeardown: (() => Promise<void>)[] | undefined;
}

/**
 * One Temporal dev server and one PostgreSQL server for the whole run (tests give each
 * Librarian its own name, task queue and database). Set LIBRARIAN_TEST_TEMPORAL_ADDRESS or
 * LIBRARIAN_TEST_PG_URL to use servers you already run.
 */
export default async function globalSetup(): Promise<void> {
  const teardown: (() => Promise<void>)[] = [];
  globalThis.__librarianTestTeardown = teardown;
  if (!process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS) {
    const t = await startTemporal();
    process.env.LIBRARIAN_TEST_TEMPORAL_ADDRESS = t.address;
    teardown.push(t.stop);
  }
  if (!process.env.LIBRARIAN_TEST_PG_URL) {
    const pg = await startPostgres();
    process.env.LIBRARIAN_TEST_PG_URL = pg.url;
    teardown.push(async () => pg.stop());
  }
}
