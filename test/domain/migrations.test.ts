import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Config } from '../../src/config';
import { loadConfig } from '../../src/config';
import { createDomain } from '../../src/domain';
import { migrate, migrationsFor, migrationStatus } from '../../src/domain/catalog/migrate';
import { createPgDatabase } from '../support/librarian';

async function databases(): Promise<Record<'sqlite' | 'postgresql', Config['database']>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'migrate-'));
  return {
    // In a directory that does not exist yet: a first setup creates it (dataDir).
    sqlite: { provider: 'sqlite', url: `file:${path.join(dir, 'data', 'catalog.db')}` },
    postgresql: { provider: 'postgresql', url: await createPgDatabase() },
  };
}

async function columns(db: Config['database']): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  if (db.provider === 'sqlite') {
    const d = new Database(db.url.slice(5), { readonly: true });
    for (const { name } of d.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[]) {
      out[name] = (d.prepare(`PRAGMA table_info("${name}")`).all() as { name: string }[]).map((c) => c.name).sort();
    }
    d.close();
    return out;
  }
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  const r = await c.query(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`);
  await c.end();
  for (const row of r.rows) (out[row.table_name] ??= []).push(row.column_name);
  for (const k of Object.keys(out)) out[k]!.sort();
  return out;
}

describe('catalog migrations', () => {
  test('apply cleanly to empty SQLite and PostgreSQL databases, once, with the same tables and columns', async () => {
    const dbs = await databases();
    const shapes: Record<string, Record<string, string[]>> = {};
    for (const db of Object.values(dbs)) {
      const names = migrationsFor(db.provider).map((m) => m.name);
      expect(names.length).toBeGreaterThan(0);
      expect(await migrationStatus(db)).toEqual({ applied: [], pending: names });
      expect(await migrate(db)).toEqual(names);
      expect(await migrate(db)).toEqual([]);
      expect(await migrationStatus(db)).toEqual({ applied: names, pending: [] });
      shapes[db.provider] = await columns(db);
    }
    expect(Object.keys(shapes.sqlite!).sort()).toEqual(
      ['_prisma_migrations', 'clone_transfers', 'deletions', 'errors', 'files', 'findings', 'incoming_transfers', 'instances', 'librarians', 'outgoing_transfers', 'remote_instances', 'sneakernet_manifests', 'stores', 'transfer_records', 'users'].sort(),
    );
    expect(shapes.postgresql).toEqual(shapes.sqlite);
  });

  test.each(['sqlite', 'postgresql'] as const)('every model round-trips through the client on %s (schema and migrations agree)', async (provider) => {
    const db = (await databases())[provider];
    await migrate(db);
    const config = loadConfig(undefined, {});
    const svc = await createDomain({ ...config, database: db }, 'test');
    try {
      const d = svc.db;
      const t = new Date('2026-01-02T03:04:05.678Z');
      const store = await d.store.create({ data: { name: 's', storeData: { stagingPath: '/a', storePath: '/b' }, transferMethods: { local: { hostnames: [] } } } });
      await d.file.create({ data: { name: 'obs/book_1', createTime: t, size: 20_000_000_000n, checksum: 'xxh3:::00', uploader: 'u', source: 'u' } });
      const inst = await d.instance.create({ data: { path: 'obs/book_1', fileName: 'obs/book_1', storeId: store.id, calculatedChecksum: 'xxh3:::00', calculatedSize: 1n, checksumTime: t } });
      const peer = await d.librarian.create({ data: { name: 'peer', url: 'http://p', port: 1, authenticator: 'enc', lastSeen: t, lastHeard: t } });
      await d.remoteInstance.create({ data: { fileName: 'obs/book_1', librarianId: peer.id, storeId: 3, copyTime: t, sender: 'me' } });
      await d.user.create({ data: { username: 'u', authToken: 'h', authLevel: 'READAPPEND' } });
      await d.incomingTransfer.create({
        data: { uploader: 'u', source: 'peer', createdBy: 'peer', uploadName: 'book_1', transferSize: 1n, transferChecksum: 'c', storeId: store.id, stagingPath: 'uuid', storePath: 'obs/book_1', sourceTransferId: 9, fileCreateTime: t, workflowId: 'w', failureReason: 'r', endTime: t, transferMethod: 'local', deletionPolicy: 'ALLOWED' },
      });
      await d.outgoingTransfer.create({ data: { destination: 'peer', transferSize: 1n, transferChecksum: 'c', fileName: 'obs/book_1', instanceId: inst.id, remoteTransferId: 2, transferMethod: 'globus', batchId: 'b', sourcePath: '/x', destPath: '/y', failureReason: null, endTime: t } });
      await d.cloneTransfer.create({ data: { sourceStoreId: store.id, destinationStoreId: store.id, sourceInstanceId: inst.id, destinationInstanceId: inst.id, fileName: 'obs/book_1', endTime: t } });
      await d.transferRecord.create({ data: { batchId: 'b', destination: 'peer', transferMethod: 'globus', taskId: 't', startTime: t, endTime: t, durationSeconds: 1.5, bytesTransferred: 10n, fileCount: 1, effectiveBandwidthBps: 6.6 } });
      await d.finding.create({ data: { kind: 'CORRUPT', storeId: store.id, path: 'obs/book_1', fileName: 'obs/book_1', instanceId: inst.id, detail: 'hashes to c', firstSeen: t, lastSeen: t, resolvedAt: t, resolution: 'r', repair: 'p' } });
      await d.deletion.create({ data: { fileName: 'obs/book_1', storeId: store.id, instanceId: inst.id, path: 'obs/book_1', by: 'policy', evidence: { sites: [{ name: 'peer', verified: t.toISOString() }] }, deletedAt: t } });
      await d.errorRecord.create({ data: { severity: 'error', category: 'data_integrity', message: 'm', raisedTime: t, clearedTime: t, cleared: true, caller: 'audit' } });
      expect(await d.errorRecord.findFirstOrThrow()).toMatchObject({ severity: 'error', category: 'data_integrity', raisedTime: t, clearedTime: t, cleared: true, caller: 'audit' });
      // One finding per (kind, store, path).
      await expect(d.finding.create({ data: { kind: 'CORRUPT', storeId: store.id, path: 'obs/book_1', detail: 'again' } })).rejects.toThrow(/Unique constraint/);
      expect((await d.deletion.findFirstOrThrow()).evidence).toEqual({ sites: [{ name: 'peer', verified: t.toISOString() }] });

      const file = await d.file.findUniqueOrThrow({ where: { name: 'obs/book_1' }, include: { instances: true, remoteInstances: true } });
      expect(file.size).toBe(20_000_000_000n);
      expect(file.createTime.toISOString()).toBe('2026-01-02T03:04:05.678Z');
      expect(file.instances[0]!.checksumTime!.toISOString()).toBe(t.toISOString());
      expect(file.remoteInstances).toHaveLength(1);
      expect((await d.store.findUniqueOrThrow({ where: { id: store.id } })).storeData).toEqual({ stagingPath: '/a', storePath: '/b' });
      // One RemoteInstance per (file, librarian, store).
      await expect(d.remoteInstance.create({ data: { fileName: 'obs/book_1', librarianId: peer.id, storeId: 3, sender: 'me' } })).rejects.toThrow(/Unique constraint/);
      // One instance per (file, store).
      await expect(d.instance.create({ data: { path: 'other', fileName: 'obs/book_1', storeId: store.id } })).rejects.toThrow(/Unique constraint/);
    } finally {
      await svc.close();
    }
  });

  test('services refuse to start on an unmigrated catalog, and a catalog from a newer version is detected', async () => {
    const db = (await databases()).sqlite;
    const config = loadConfig(undefined, {});
    await expect(createDomain({ ...config, database: db }, 'test')).rejects.toThrow(/missing \d+ migration\(s\).*Run "librarian setup"/);
    await migrate(db);
    const d = new Database(db.url.slice(5));
    d.prepare(`INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('x', 'y', '2030-01-01', '20300101000000_future', 1)`).run();
    d.close();
    await expect(migrationStatus(db)).rejects.toThrow(/20300101000000_future, which this version of Librarian does not know/);
  });
});
