/**
 * The API's side of SneakerNet and local clones: the drive-trip workflow (source), the
 * drive-ingest workflow (destination), and running a local clone now.
 */
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { conflict, notFound } from '../errors';
import { workflowId } from '../temporal/connection';
import type { localClone } from '../workflows/localClone';
import { LIBRARIAN, PEER, STORE } from '../workflows/searchAttributes';
import { ingestProgressQuery, type IngestProgress, type sneakernetIngest } from '../workflows/sneakernetIngest';
import { driveFullSignal, manifestedSignal, tripStateQuery, wipedSignal, type sneakernetTrip, type TripState } from '../workflows/sneakernetTrip';
import type { Services } from '.';
import { receiveSettings } from './cloneWorkflows';
import { readManifest, tripId, type Manifest } from './sneakernet';
import { guarded, ifRunning, runToCompletion, temporalClient } from './workflows';

function tripStart(services: Services, store: string) {
  return {
    taskQueue: services.config.temporal.taskQueue,
    workflowId: tripId(services.config, store),
    args: [{ store }] as [{ store: string }],
    typedSearchAttributes: [
      { key: LIBRARIAN, value: services.config.name },
      { key: STORE, value: store },
    ],
  };
}

/** Tells a drive's trip workflow something, if a trip is under way. */
export async function signalTrip(services: Services, store: string, signal: SignalDefinition<[]>): Promise<void> {
  const client = await temporalClient(services);
  await ifRunning(client.workflow.getHandle(tripId(services.config, store)).signal(signal));
}

export async function provisionTrip(services: Services, store: string) {
  const { tripId: id } = await services.sneakernet.provision(store);
  const client = await temporalClient(services);
  try {
    await client.workflow.start<typeof sneakernetTrip>('sneakernetTrip', {
      ...tripStart(services, store),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (e) {
    if (e instanceof WorkflowExecutionAlreadyStartedError) {
      throw conflict(`A trip of drive "${store}" is already under way.`, 'See "librarian sneakernet status"; a drive starts a new trip after it is wiped.');
    }
    throw e;
  }
  return { tripId: id };
}

export async function sealTrip(services: Services, store: string) {
  const r = await services.sneakernet.seal(store);
  await signalTrip(services, store, driveFullSignal);
  return r;
}

export async function manifestTrip(services: Services, store: string, destination: string): Promise<Manifest> {
  const manifest = await services.sneakernet.manifest(store, destination);
  const client = await temporalClient(services);
  await client.workflow.signalWithStart<typeof sneakernetTrip, [string]>('sneakernetTrip', {
    ...tripStart(services, store),
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    signal: manifestedSignal,
    signalArgs: [manifest.destination_librarian],
  });
  return manifest;
}

export async function wipeTrip(services: Services, store: string) {
  const r = await services.sneakernet.wipe(store);
  await signalTrip(services, store, wipedSignal);
  return r;
}

export async function tripStatuses(services: Services) {
  const client = await temporalClient(services);
  const q = `Librarian = "${services.config.name}" AND WorkflowType = "sneakernetTrip"`;
  const seen = new Set<string>();
  const out: (TripState & { workflowId: string; running: boolean; started: string; files: number; bytes: number; waitingFor: string })[] = [];
  for await (const w of client.workflow.list({ query: q })) {
    if (seen.has(w.workflowId)) continue;
    seen.add(w.workflowId);
    const running = w.status.name === 'RUNNING';
    const state: TripState = running ? await client.workflow.getHandle(w.workflowId).query(tripStateQuery) : ((await client.workflow.getHandle(w.workflowId, w.runId).result().catch(() => undefined)) as TripState | undefined) ?? { state: w.status.name.toLowerCase(), store: '', destination: null, progress: null };
    const row = await services.stores.row(state.store || (w.typedSearchAttributes.get(STORE) ?? '')).catch(() => undefined);
    const contents = row ? await services.stores.contents(row.id) : { files: 0, bytes: 0 };
    // The workflow refreshes its progress when told of a change; the catalog is current now.
    const p = running && state.destination ? await services.sneakernet.progress(w.workflowId) : state.progress;
    const files = p ? p.total : contents.files;
    const waitingFor =
      state.state === 'filling'
        ? 'the local clone to fill it (or "librarian sneakernet seal")'
        : state.state === 'full'
          ? '"librarian sneakernet manifest"'
          : state.state === 'in transit' || state.state === 'ingesting at the destination'
            ? `confirmations from ${state.destination}: ${p?.completed ?? 0}/${p?.total ?? '?'} confirmed${p?.failed ? `, ${p.failed} rejected (they are sent again)` : ''}`
            : state.state === 'confirmed'
              ? '"librarian sneakernet wipe"'
              : '';
    out.push({ ...state, workflowId: w.workflowId, running, started: w.startTime.toISOString(), files, bytes: p?.bytes ?? contents.bytes, waitingFor });
  }
  return out;
}

export function ingestWorkflowId(services: Services, manifest: Manifest): string {
  return workflowId(services.config, 'sneakernet-ingest', manifest.source_librarian, manifest.store_name, manifest.manifest_checksum.slice(-12));
}

export async function startIngest(services: Services, raw: unknown, driveRoot: string, operator: string) {
  const manifest = readManifest(raw);
  if (manifest.destination_librarian !== services.config.name) {
    throw conflict(`This manifest is for "${manifest.destination_librarian}", not "${services.config.name}".`, 'Ingest the drive at the Librarian it was shipped to.');
  }
  await services.peers.row(manifest.source_librarian);
  // Kept in the catalog: the workflow reads it in pages (a drive may list many thousands of files).
  await services.db.sneakernetManifest.upsert({
    where: { checksum: manifest.manifest_checksum },
    create: { checksum: manifest.manifest_checksum, source: manifest.source_librarian, storeName: manifest.store_name, fileCount: manifest.store_files.length, body: manifest as never },
    update: {},
  });
  const client = await temporalClient(services);
  const c = services.config;
  const id = ingestWorkflowId(services, manifest);
  const bytes = manifest.store_files.reduce((s, e) => s + e.size, 0);
  // A repeated ingest of the same manifest joins the running one, or (once it finished) runs again
  // and finds every file already present.
  await client.workflow.start<typeof sneakernetIngest>('sneakernetIngest', {
    taskQueue: c.temporal.taskQueue,
    workflowId: id,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    args: [
      {
        source: manifest.source_librarian,
        operator,
        driveRoot,
        manifest: manifest.manifest_checksum,
        total: manifest.store_files.length,
        bytesTotal: bytes,
        concurrency: 4,
        receive: receiveSettings(c),
      },
    ],
    typedSearchAttributes: [
      { key: LIBRARIAN, value: c.name },
      { key: PEER, value: manifest.source_librarian },
    ],
  });
  return { ingestId: id, files: manifest.store_files.length, bytes };
}

export async function ingestStatus(services: Services, id: string): Promise<IngestProgress & { running: boolean }> {
  const client = await temporalClient(services);
  const handle = client.workflow.getHandle<typeof sneakernetIngest>(id);
  let d;
  try {
    d = await handle.describe();
  } catch (e) {
    if (e instanceof WorkflowNotFoundError) throw notFound(`No drive ingest "${id}".`, 'Use the ingest_id returned by sneakernet/ingest.');
    throw e;
  }
  if (d.status.name === 'RUNNING') return { ...(await handle.query(ingestProgressQuery)), running: true };
  return { ...(await guarded(() => handle.result())), running: false };
}

/** Runs a configured local clone now and returns its summary. */
export async function runLocalClone(services: Services, name: string) {
  services.localClone.settings(name);
  return runToCompletion<typeof localClone>(services, 'localClone', workflowId(services.config, 'local-clone', name, 'now'), [
    { name, heartbeatTimeoutMs: services.config.workflows.heartbeatTimeout },
  ]);
}
