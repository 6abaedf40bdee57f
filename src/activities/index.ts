/**
 * Every activity, bound to this process's domain and flows. Activities are thin: each calls one
 * function of the domain (or, to reach another workflow, of a flow), with heartbeats for long or
 * network-bound work; timeouts and retries are set where the workflows call them.
 */
import type { Domain } from '../domain';
import type { Flows } from '../flows';
import { auditActivities } from './audit';
import { cloneReceiveActivities } from './cloneReceive';
import { cloneSendActivities } from './cloneSend';
import { deletionActivities } from './deletion';
import { importActivities } from './imports';
import { repairActivities } from './repair';
import { sneakernetActivities } from './sneakernet';
import { storeActivities } from './stores';
import { uploadActivities } from './upload';

export function createActivities(domain: Domain, flows: Flows) {
  return {
    ...uploadActivities(domain),
    ...cloneSendActivities(domain),
    ...cloneReceiveActivities(domain),
    ...sneakernetActivities(domain, flows),
    ...storeActivities(domain),
    ...auditActivities(domain),
    ...repairActivities(domain, flows),
    ...deletionActivities(domain),
    ...importActivities(domain),
  };
}

export type Activities = ReturnType<typeof createActivities>;
