import type { Domain } from '../domain';
import type { ManifestEntry } from '../domain/sneakernet/manifest';
import type { Flows } from '../flows';
import { run, runCatalogAndDisk, withHeartbeat } from './support';

export function sneakernetActivities(domain: Domain, flows: Flows) {
  return {
    // ---- local clones (backup disks and drives) ----
    planLocalClone: (name: string) => run(() => domain.localClone.plan(name)),
    cloneInstanceLocally: (name: string, instanceId: number) => withHeartbeat((h) => domain.localClone.cloneOne(name, instanceId, h)),
    storeFull: (store: string) => run(() => flows.sneakernet.storeFull(store)),

    // ---- drive trips (source) ----
    tripProgress: (trip: string) => run(() => domain.driveTrips.progress(trip)),
    alertOperators: (level: 'info' | 'warn' | 'error', message: string) => run(() => domain.notifications.alert(level, message, {}, { category: level === 'info' ? 'transfer' : 'store_full', caller: 'sneakernet' })),

    // ---- drive ingest (destination) ----
    manifestEntries: (checksum: string, offset: number, limit: number) => run(() => domain.driveIngest.entries(checksum, offset, limit)),
    /** Run under CATALOG_UNTIL_IT_ANSWERS; it also makes the staging directory. */
    stageDriveEntry: (source: string, operator: string, entry: ManifestEntry) => runCatalogAndDisk(() => domain.driveIngest.stageEntry(source, operator, entry)),
    copyFromDrive: (transferId: number, driveRoot: string, instancePath: string) => withHeartbeat(() => domain.driveIngest.copyFromDrive(transferId, driveRoot, instancePath)),
  };
}
