/**
 * Importing data already under a store root (import/<librarian>/<store>/<path>/<depth>): the
 * entries `depth` levels below the path, a page at a time, each hashed where it lies and
 * catalogued. An entry that cannot be imported (already catalogued differently, unreadable) is
 * reported and the rest go on; importing again skips what is done.
 */
import { ActivityFailure, proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Imported } from '../domain/stores/imports';
import { describeFailure } from './failures';
import { BACKGROUND_DISK_WORK, DISK_WORK } from './retries';
import { PHASE, STORE } from './searchAttributes';

export interface ImportDataInput {
  store: string;
  path: string;
  depth: number;
  /** The File name, for a single entry (depth 0). */
  name?: string;
  uploader: string;
  source: string;
  heartbeatTimeoutMs: number;
}

export interface ImportSummary {
  entries: number;
  catalogued: number;
  instancesAdded: number;
  alreadyCatalogued: number;
  failed: number;
  /** The first 1000 outcomes. */
  results: (Imported | { path: string; error: string })[];
}

const PAGE = 500;

export async function importData(input: ImportDataInput): Promise<ImportSummary> {
  // Listing the entries (on the disk) while the operator waits; hashing each in the background.
  const quick = proxyActivities<Activities>({ startToCloseTimeout: '10m', retry: DISK_WORK });
  const hashing = proxyActivities<Activities>({ startToCloseTimeout: '24h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: BACKGROUND_DISK_WORK });
  upsertSearchAttributes([
    { key: STORE, value: input.store },
    { key: PHASE, value: 'importing' },
  ]);
  const s: ImportSummary = { entries: 0, catalogued: 0, instancesAdded: 0, alreadyCatalogued: 0, failed: 0, results: [] };
  for (let offset = 0; ; offset += PAGE) {
    const page = await quick.importEntries(input.store, input.path, input.depth, offset, PAGE);
    for (const path of page) {
      s.entries++;
      let r: Imported | { path: string; error: string };
      try {
        r = await hashing.importOne(input.store, { path, name: input.depth === 0 ? input.name : undefined, uploader: input.uploader, source: input.source });
        if (r.outcome === 'catalogued') s.catalogued++;
        else if (r.outcome === 'instance-added') s.instancesAdded++;
        else s.alreadyCatalogued++;
      } catch (e) {
        if (!(e instanceof ActivityFailure)) throw e;
        s.failed++;
        r = { path, error: describeFailure(e) };
      }
      if (s.results.length < 1000) s.results.push(r);
    }
    if (page.length < PAGE) break;
  }
  upsertSearchAttributes([{ key: PHASE, value: `done: ${s.catalogued + s.instancesAdded} imported, ${s.failed} failed` }]);
  return s;
}
