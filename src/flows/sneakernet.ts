/**
 * SneakerNet as the API sees it: the drive-trip workflow at the source (one per drive, told of
 * each step the operator takes) and the drive-ingest workflow at the destination.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy, WorkflowNotFoundError, type Client, type WorkflowExecutionDescription, type WorkflowExecutionInfo } from '@temporalio/client';
import type { Domain } from '../domain';
import type { Manifest } from '../domain/sneakernet/manifest';
import { conflict, notFound } from '../shared/errors';
import { PEER, STORE } from '../workflows/searchAttributes';
import { ingestProgressQuery, type IngestProgress, type sneakernetIngest } from '../workflows/sneakernetIngest';
import { driveFullSignal, manifestedSignal, tripStateQuery, wipedSignal, type sneakernetTrip, type TripState } from '../workflows/sneakernetTrip';
import { receiveSettings } from './clone';
import { guarded, type TemporalAccess } from './temporal';

/** Files of a drive ingested at once. */
const INGEST_CONCURRENCY = 4;

type TripStatus = TripState & { workflowId: string; running: boolean; started: string; files: number; bytes: number; waitingFor: string };

export class SneakernetFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  private tripStart(store: string) {
    return {
      taskQueue: this.temporal.taskQueue,
      workflowId: this.temporal.ids.trip(store),
      args: [{ store }] as [{ store: string }],
      typedSearchAttributes: [this.temporal.librarian, { key: STORE, value: store }],
    };
  }

  async provision(store: string): Promise<{ tripId: string }> {
    const r = await this.domain.driveTrips.provision(store);
    const client = await this.temporal.client();
    try {
      await client.workflow.start<typeof sneakernetTrip>('sneakernetTrip', {
        ...this.tripStart(store),
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      });
    } catch (e) {
      if (e instanceof WorkflowExecutionAlreadyStartedError) {
        throw conflict(`A trip of drive "${store}" is already under way.`, 'See "librarian sneakernet status"; a drive starts a new trip after it is wiped.');
      }
      throw e;
    }
    return r;
  }

  async seal(store: string) {
    const r = await this.domain.driveTrips.seal(store);
    await this.temporal.signal(this.temporal.ids.trip(store), driveFullSignal);
    return r;
  }

  /** A store filled up during a local clone: the operators are told, and its drive trip, if one runs. */
  async storeFull(store: string): Promise<void> {
    await this.domain.localClone.reportFull(store);
    await this.temporal.signal(this.temporal.ids.trip(store), driveFullSignal);
  }

  async manifest(store: string, destination: string): Promise<Manifest> {
    const manifest = await this.domain.driveTrips.manifest(store, destination);
    const client = await this.temporal.client();
    await client.workflow.signalWithStart<typeof sneakernetTrip, [string]>('sneakernetTrip', {
      ...this.tripStart(store),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      signal: manifestedSignal,
      signalArgs: [manifest.destination_librarian],
    });
    return manifest;
  }

  async wipe(store: string) {
    const r = await this.domain.driveTrips.wipe(store);
    await this.temporal.signal(this.temporal.ids.trip(store), wipedSignal);
    return r;
  }

  async statuses() {
    const client = await this.temporal.client();
    const q = `Librarian = "${this.domain.config.name}" AND WorkflowType = "sneakernetTrip"`;
    const seen = new Set<string>();
    const out: TripStatus[] = [];
    for await (const w of client.workflow.list({ query: q })) {
      if (seen.has(w.workflowId)) continue;
      seen.add(w.workflowId);
      out.push(await this.tripStatus(client, w));
    }
    // The listing is eventually consistent: a trip started a moment ago may be missing from it.
    for (const store of await this.domain.stores.names()) {
      const id = this.temporal.ids.trip(store);
      if (seen.has(id)) continue;
      try {
        out.push(await this.tripStatus(client, await client.workflow.getHandle(id).describe()));
      } catch (e) {
        if (!(e instanceof WorkflowNotFoundError)) throw e;
      }
    }
    return out;
  }

  private async tripStatus(client: Client, w: WorkflowExecutionDescription | WorkflowExecutionInfo): Promise<TripStatus> {
    const running = w.status.name === 'RUNNING';
    const state: TripState = running
      ? await client.workflow.getHandle(w.workflowId).query(tripStateQuery)
      : (((await client.workflow.getHandle(w.workflowId, w.runId).result().catch(() => undefined)) as TripState | undefined) ?? { state: w.status.name.toLowerCase(), store: '', destination: null, progress: null });
    const row = await this.domain.stores.row(state.store || (w.typedSearchAttributes.get(STORE) ?? '')).catch(() => undefined);
    const contents = row ? await this.domain.stores.contents(row.id) : { files: 0, bytes: 0 };
    // The workflow refreshes its progress when told of a change; the catalog is current now.
    const p = running && state.destination ? await this.domain.driveTrips.progress(w.workflowId) : state.progress;
    // The same rule as the workflow's, on the catalog it has not looked at yet.
    if (running && state.state === 'in transit' && p && p.completed + p.failed > 0) state.state = 'ingesting at the destination';
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
    return { ...state, workflowId: w.workflowId, running, started: w.startTime.toISOString(), files, bytes: p?.bytes ?? contents.bytes, waitingFor };
  }

  /** Destination side: ingest a drive (a repeated ingest of the same manifest joins the running one). */
  async startIngest(raw: unknown, driveRoot: string, operator: string) {
    const manifest = await this.domain.driveIngest.accept(raw);
    const client = await this.temporal.client();
    const id = this.temporal.ids.ingest(manifest.source_librarian, manifest.store_name, manifest.manifest_checksum);
    const bytes = manifest.store_files.reduce((s, e) => s + e.size, 0);
    // Once it finished, running it again finds every good file already present.
    await client.workflow.start<typeof sneakernetIngest>('sneakernetIngest', {
      taskQueue: this.temporal.taskQueue,
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
          concurrency: INGEST_CONCURRENCY,
          receive: receiveSettings(this.domain.config),
        },
      ],
      typedSearchAttributes: [this.temporal.librarian, { key: PEER, value: manifest.source_librarian }],
    });
    return { ingestId: id, files: manifest.store_files.length, bytes };
  }

  async ingestStatus(id: string): Promise<IngestProgress & { running: boolean }> {
    const client = await this.temporal.client();
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
}
