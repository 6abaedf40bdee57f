/**
 * Every workflow and Schedule id, in one place. Ids are business keys that start with the flow and
 * the Librarian's name, so several Librarians can share a Temporal namespace and a repeated
 * request reaches the running execution instead of starting a second one. Pure: workflows,
 * flows and the catalog's planner all build ids here.
 */
export function workflowIds(librarian: string) {
  const id = (kind: string, ...parts: (string | number)[]) => [kind, librarian, ...parts].join('/');
  return {
    /** One upload per destination name. */
    upload: (destination: string) => id('upload', destination),
    /** One receive workflow per incoming transfer (network clone or drive entry). */
    receive: (transferId: number) => id('receive', transferId),
    validate: (fileName: string) => id('validate', fileName),
    /** Validation across sites: one per path through the network (so two paths never wait on each other). */
    validateAcross: (fileName: string, depth: number, visited: string[]) => `${id('validate', fileName)}/peers/${depth}/${visited.join(',')}`,

    storeHealthSchedule: () => id('store-health'),
    /** Workflows the health-check Schedule starts. */
    storeHealthScheduled: () => id('store-health', 'scheduled'),
    storeHealth: (store: string) => id('store-health', store),

    sendSchedulePrefix: () => `${id('send-clones')}/`,
    sendSchedule: (peer: string) => id('send-clones', peer),
    sendNow: (peer: string) => id('send-clones', peer, 'now'),
    /** A clone batch's id is also its workflow id: planning names the batches of one scheduled run. */
    cloneBatchPrefix: (peer: string, runKey: string) => `${id('clone', peer, runKey)}-`,
    cloneBatch: (peer: string, runKey: string, n: number) => `${id('clone', peer, runKey)}-${n}`,

    localCloneSchedulePrefix: () => `${id('local-clone')}/`,
    localCloneSchedule: (name: string) => id('local-clone', name),
    localCloneNow: (name: string) => id('local-clone', name, 'now'),

    /** A store's integrity audit (one at a time per store), and the Schedule that starts it. */
    audit: (store: string) => id('audit', store),
    auditSchedulePrefix: () => `${id('audit-schedule')}/`,
    auditSchedule: (store: string) => id('audit-schedule', store),

    /** The repair of one damaged instance (one at a time per instance). */
    repair: (instanceId: number) => id('repair', instanceId),

    /** A rolling-deletion policy's Schedule (and its runs), a run now, a dry run; one operator deletion. */
    rollingDeletionSchedulePrefix: () => `${id('rolling-deletion')}/`,
    rollingDeletionSchedule: (policy: string) => id('rolling-deletion', policy),
    rollingDeletionNow: (policy: string, dryRun: boolean) => id('rolling-deletion', policy, dryRun ? 'dry-run' : 'now'),
    deleteInstance: (instanceId: number) => id('delete-instance', instanceId),
    /** Importing data already on a store: one per path and depth. */
    importData: (store: string, path: string, depth: number) => id('import', store, path, depth),

    /** A drive's trip; also the batch id of its outgoing transfers. */
    trip: (store: string) => id('sneakernet', store),
    ingest: (source: string, store: string, manifestChecksum: string) => id('sneakernet-ingest', source, store, manifestChecksum.slice(-12)),
    /** Children of a drive ingest that tell the source about one entry. */
    ingestPresent: (ingestId: string, sourceTransferId: number) => `${ingestId}/present/${sourceTransferId}`,
    ingestFailed: (ingestId: string, transferId: number) => `${ingestId}/failed/${transferId}`,
  };
}

export type WorkflowIds = ReturnType<typeof workflowIds>;
