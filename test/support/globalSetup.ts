import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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
  // Everything the run writes (Librarians, stores, data, servers) goes under one directory,
  // removed at the end unless LIBRARIAN_TEST_KEEP=1 (for looking at logs after a failure).
  const root = mkdtempSync(path.join(os.tmpdir(), 'librarian-test-'));
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  teardown.push(async () => {
    if (process.env.LIBRARIAN_TEST_KEEP) console.log(`\nTest files kept in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  });
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
