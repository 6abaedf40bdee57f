import type { Services } from '../services';
import type { ManifestEntry } from '../services/sneakernet';
import { signalTrip } from '../services/sneakernetWorkflows';
import { confirmPresent, copyFromDrive, manifestEntries, stageEntry } from '../services/sneakernetIngest';
import { driveFullSignal } from '../workflows/sneakernetTrip';
import { beating, run, withHeartbeat } from './support';

export function createSneakernetActivities(services: Services) {
  return {
    // ---- local clones ----
    planLocalClone: (name: string) => run(() => services.localClone.plan(name)),
    cloneInstanceLocally: (name: string, instanceId: number) => withHeartbeat((h) => services.localClone.cloneOne(name, instanceId, h)),
    /** A destination store is full: alert the operators and tell its drive trip, if one runs. */
    storeFull: (store: string) =>
      run(async () => {
        const row = await services.stores.row(store);
        const { files, bytes } = await services.stores.contents(row.id);
        await services.notifications.alert('warn', `Store "${store}" is full (${files} files, ${bytes} bytes) and no longer filled.${row.ingestable ? '' : ` If it is a SneakerNet drive: librarian sneakernet manifest --store ${store} --destination <peer> --output manifest.json`}`, { store });
        await signalTrip(services, store, driveFullSignal);
      }),

    // ---- drive trips (source) ----
    tripProgress: (trip: string) => run(() => services.sneakernet.progress(trip)),
    alertOperators: (level: 'info' | 'warn' | 'error', message: string) => run(() => services.notifications.alert(level, message)),

    // ---- drive ingest (destination) ----
    manifestEntries: (checksum: string, offset: number, limit: number) => run(() => manifestEntries(services, checksum, offset, limit)),
    stageDriveEntry: (source: string, operator: string, entry: ManifestEntry) => run(() => stageEntry(services, source, operator, entry)),
    copyFromDrive: (transferId: number, driveRoot: string, instancePath: string) => withHeartbeat(() => copyFromDrive(services, transferId, driveRoot, instancePath)),
    confirmPresentToSource: (source: string, sourceTransferId: number, storeId: number) => beating(() => confirmPresent(services, source, sourceTransferId, storeId)),
  };
}
