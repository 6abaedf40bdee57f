/**
 * The domain layer in this process, over a real catalog (a fresh SQLite file or PostgreSQL
 * database) and real store directories: for tests of catalog, transfer and store logic that
 * need no Temporal and no server process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { loadConfig, type Config } from '../../src/config';
import { createDomain, type Domain } from '../../src/domain';
import { migrate } from '../../src/domain/catalog/migrate';
import type { Principal } from '../../src/domain/users/users';
import { createPgDatabase, uniqueName, type Provider } from './librarian';

export interface TestDomain {
  domain: Domain;
  config: Config;
  dir: string;
  close(): Promise<void>;
}

export const ADMIN: Principal = { username: 'admin', level: 'ADMIN' };

export async function testDomain(provider: Provider, opts: { name?: string; config?: Record<string, unknown>; stores?: Record<string, unknown>[] } = {}): Promise<TestDomain> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `domain-${provider}-`));
  const raw = {
    name: opts.name ?? uniqueName('dom'),
    dataDir: '.',
    database: provider === 'postgresql' ? { provider, url: await createPgDatabase() } : { provider, url: 'file:catalog.db' },
    // Quiet: the tests assert what matters; an error logged on purpose is noise.
    log: { level: 'fatal' },
    encryptionKey: 'test-key',
    checksums: { threads: 2 },
    stores: opts.stores ?? [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store' }],
    ...opts.config,
  };
  const file = path.join(dir, 'librarian.yaml');
  writeFileSync(file, YAML.stringify(raw));
  const config = loadConfig(file, {});
  await migrate(config.database);
  const domain = await createDomain(config, 'test');
  await domain.stores.sync(config.stores);
  return { domain, config, dir, close: () => domain.close() };
}
