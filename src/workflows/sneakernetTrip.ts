/**
 * One trip of a SneakerNet drive (sneakernet/<librarian>/<store>), as the source sees it:
 *
 *   filling     the local clone copies files onto the drive;
 *   full        the drive filled up, or was sealed: operators are alerted, filling stops;
 *   in transit  the manifest was written (transfers recorded, drive disabled);
 *   ingesting at the destination   confirmations are arriving;
 *   confirmed   every file is confirmed at the destination: safe to wipe;
 *   wiped       the drive is empty and ready for the next trip.
 */
import { condition, defineQuery, defineSignal, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { itemsChangedSignal } from './cloneBatch';
import { CATALOG_UNTIL_IT_ANSWERS } from './retries';
import { PEER, PHASE } from './searchAttributes';

export const driveFullSignal = defineSignal('driveFull');
export const manifestedSignal = defineSignal<[string]>('manifested');
export const wipedSignal = defineSignal('wiped');

export interface TripState {
  state: string;
  store: string;
  destination: string | null;
  /** `bytes` is absent from progress recorded before it was counted. */
  progress: { total: number; bytes?: number; completed: number; failed: number; ongoing: number } | null;
}
export const tripStateQuery = defineQuery<TripState>('state');

export async function sneakernetTrip({ store }: { store: string }) {
  // A trip lasts weeks and nothing would start it again: its catalog steps wait out an outage.
  const db = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: CATALOG_UNTIL_IT_ANSWERS });
  const trip = workflowInfo().workflowId;
  const s: TripState = { state: 'filling', store, destination: null, progress: null };
  let full = false;
  let wiped = false;
  let changes = 0;
  const setState = (state: string) => {
    s.state = state;
    upsertSearchAttributes([{ key: PHASE, value: state }]);
  };
  setHandler(tripStateQuery, () => s);
  setHandler(driveFullSignal, () => {
    full = true;
  });
  setHandler(manifestedSignal, (destination) => {
    s.destination ??= destination;
  });
  setHandler(wipedSignal, () => {
    wiped = true;
  });
  setHandler(itemsChangedSignal, () => {
    changes++;
  });

  setState('filling');
  await condition(() => full || s.destination !== null || wiped);
  if (full && s.destination === null && !wiped) {
    setState('full');
    await db.alertOperators('warn', `SneakerNet drive "${store}" is full and no longer filled. Next: librarian sneakernet manifest --store ${store} --destination <peer> --output manifest.json`);
    await condition(() => s.destination !== null || wiped);
  }
  if (s.destination !== null && !wiped) {
    upsertSearchAttributes([{ key: PEER, value: s.destination }]);
    setState('in transit');
    for (;;) {
      const seen = changes;
      s.progress = await db.tripProgress(trip);
      if (s.progress.total > 0 && s.progress.completed === s.progress.total) break;
      if (s.progress.completed + s.progress.failed > 0) setState('ingesting at the destination');
      await condition(() => changes !== seen || wiped, '1h');
      if (wiped) break;
    }
    if (!wiped) {
      setState('confirmed');
      await db.alertOperators('info', `SneakerNet drive "${store}": all ${s.progress!.total} files are confirmed at ${s.destination}. It can be wiped: librarian sneakernet wipe --store ${store}`);
    }
  }
  await condition(() => wiped);
  setState('wiped');
  return s;
}
