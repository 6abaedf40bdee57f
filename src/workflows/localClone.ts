/**
 * Scheduled copy of instances from one store to others (local-clone/<librarian>/<name>):
 * newest (or oldest) first, each copy verified, up to filesPerRun per run. A destination that
 * fills up is disabled and the next one takes over; its drive trip, if any, is told.
 */
import { proxyActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { BACKGROUND_DISK_WORK, CATALOG_FOR_MINUTES } from './retries';
import { PHASE } from './searchAttributes';

export interface LocalCloneInput {
  name: string;
  heartbeatTimeoutMs: number;
}

export async function localClone({ name, heartbeatTimeoutMs }: LocalCloneInput) {
  const db = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: CATALOG_FOR_MINUTES });
  const copy = proxyActivities<Activities>({ startToCloseTimeout: '12h', heartbeatTimeout: heartbeatTimeoutMs, retry: BACKGROUND_DISK_WORK });
  const ids = await db.planLocalClone(name);
  const result = { copied: 0, present: 0, failed: [] as string[], full: [] as string[], stoppedBecause: null as string | null };
  upsertSearchAttributes([{ key: PHASE, value: `copying ${ids.length}` }]);
  for (const id of ids) {
    const r = await copy.cloneInstanceLocally(name, id);
    for (const s of r.filled) {
      if (!result.full.includes(s)) {
        result.full.push(s);
        await db.storeFull(s);
      }
    }
    if (r.status === 'copied') result.copied++;
    else if (r.status === 'present') result.present++;
    else if (r.status === 'failed') result.failed.push(r.reason ?? String(id));
    else {
      result.stoppedBecause = r.reason ?? 'no room';
      break;
    }
  }
  upsertSearchAttributes([{ key: PHASE, value: result.stoppedBecause ? 'stopped: all destinations full' : 'done' }]);
  return result;
}
