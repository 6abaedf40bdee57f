import type { Domain } from '../domain';
import type { ImportEntry } from '../domain/stores/imports';
import { run, withHeartbeat } from './support';

export function importActivities(domain: Domain) {
  const { imports } = domain;
  return {
    importEntries: async (store: string, path: string, depth: number, offset: number, limit: number) => run(async () => (await imports.entries(store, path, depth)).slice(offset, offset + limit)),
    importOne: (store: string, entry: ImportEntry) => withHeartbeat((h) => imports.importEntry(store, entry, h)),
  };
}
