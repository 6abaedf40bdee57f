/**
 * Clone scheduling: time to choose and batch 100,000 candidate files for one destination (the
 * query that finds files the peer lacks, and recording their OutgoingTransfers in batches), on
 * SQLite and on PostgreSQL.
 *   npx tsx bench/schedule.ts [--files 100000] [--batch-size 1024]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { createDomain } from '../src/domain';
import { migrate } from '../src/domain/catalog/migrate';
import { BENCH_DIR, machine, startInfrastructure } from './common';

async function main() {
  const { values } = parseArgs({ options: { files: { type: 'string', default: '100000' }, 'batch-size': { type: 'string', default: '1024' } } });
  const count = Number(values.files);
  const batchSize = Number(values['batch-size']);
  const batches = Math.ceil(count / batchSize);
  const stop = await startInfrastructure(true);
  const { createPgDatabase } = await import('../test/support/librarian');
  const rows: string[] = [];
  try {
    for (const provider of ['sqlite', 'postgresql'] as const) {
      const url = provider === 'sqlite' ? `file:${path.join(BENCH_DIR, `schedule-${Date.now()}.db`)}` : await createPgDatabase();
      const database = { provider, url };
      await migrate(database);
      const config = { ...loadConfig(undefined, {}), name: 'bench', database, encryptionKey: 'k', clone: { ...loadConfig(undefined, {}).clone, batchSize, maxBatchesPerPeer: batches, maxBatchesTotal: batches } };
      const svc = await createDomain(config, 'bench');
      const store = await svc.db.store.create({ data: { name: 'main', storeData: { stagingPath: '/s', storePath: '/t' }, transferMethods: {} } });
      await svc.db.librarian.create({ data: { name: 'peer', url: 'http://x', port: 1, authenticator: 'x' } });
      const t0 = Date.now();
      for (let i = 0; i < count; i += 5000) {
        const n = Math.min(5000, count - i);
        const names = Array.from({ length: n }, (_, k) => `obs/${String(i + k).padStart(7, '0')}.dat`);
        await svc.db.file.createMany({ data: names.map((name, k) => ({ name, createTime: new Date(1_700_000_000_000 + i + k), size: 1000n, checksum: 'xxh3:::00', uploader: 'u', source: 'u' })) });
        await svc.db.instance.createMany({ data: names.map((name) => ({ fileName: name, path: name, storeId: store.id })) });
      }
      const loadSeconds = (Date.now() - t0) / 1000;
      let t = Date.now();
      const candidates = await svc.clonePlanner.countCandidates('peer');
      const countSeconds = (Date.now() - t) / 1000;
      t = Date.now();
      const { batches: planned } = await svc.clonePlanner.planBatches('peer', 'bench');
      const planSeconds = (Date.now() - t) / 1000;
      t = Date.now();
      const again = await svc.clonePlanner.countCandidates('peer');
      const afterSeconds = (Date.now() - t) / 1000;
      rows.push(
        `| ${provider} | ${candidates} | ${countSeconds.toFixed(2)} | ${planned.length} x ${batchSize} | ${planSeconds.toFixed(2)} | ${again} in ${afterSeconds.toFixed(2)} s | ${loadSeconds.toFixed(1)} |`,
      );
      await svc.close();
    }
  } finally {
    await stop();
  }
  console.log(`Clone scheduling for one destination, ${count} candidate files (${machine()}).\n`);
  console.log('| catalog | candidates | count (s) | batches | select + record (s) | candidates left after | catalog load (s, not part of the figure) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
