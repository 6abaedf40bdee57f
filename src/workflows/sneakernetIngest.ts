/**
 * Ingest of a SneakerNet drive at the destination (one workflow per manifest): each file is
 * staged as a clone from the source Librarian, copied from the drive, then verified, committed
 * and confirmed to the source by its own receiveClone child. A file that fails verification is
 * never committed: it is reported (and the source offers it again). The workflow survives an
 * unplugged drive (the copy waits for it) and a killed worker, resuming where it stopped.
 *
 * The manifest is read in pages and the workflow continues as new every few pages, so a drive
 * of any number of files stays within Temporal's history limits.
 */
import {
  ActivityFailure,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ManifestEntry } from '../domain/sneakernet/manifest';
import { workflowIds } from '../shared/workflowIds';
import { describeFailure, failureDetails } from './failures';
import { entryDoneSignal, receiveClone, tellSource, type EntryDone, type ReceiveSettings } from './receiveClone';
import { CATALOG_UNTIL_IT_ANSWERS, untilGiveUp } from './retries';
import { LIBRARIAN, PEER, PHASE } from './searchAttributes';

const PAGE = 200;
const PAGES_PER_RUN = 5;
const MAX_REJECTIONS_LISTED = 1000;

export interface IngestProgress {
  total: number;
  done: number;
  bytesDone: number;
  bytesTotal: number;
  ingested: number;
  present: number;
  rejected: { name: string; reason: string }[];
  /** More files were rejected than are listed. */
  rejectedNotListed: number;
  finished: boolean;
}

export interface SneakernetIngestInput {
  source: string;
  operator: string;
  driveRoot: string;
  /** Checksum of the stored manifest. */
  manifest: string;
  total: number;
  bytesTotal: number;
  receive: ReceiveSettings;
  concurrency: number;
  /** Carried over by continue-as-new. */
  offset?: number;
  progress?: IngestProgress;
}

export const ingestProgressQuery = defineQuery<IngestProgress>('progress');

export async function sneakernetIngest(input: SneakernetIngestInput): Promise<IngestProgress> {
  // The catalog steps (staging an entry included) wait out an outage of the catalog: nothing would
  // start the ingest again. Staging also makes a directory: a disk error there is retried as
  // DISK_WORK would, then rejects that entry (activities/support.ts), and the ingest goes on.
  const db = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: CATALOG_UNTIL_IT_ANSWERS });
  const drive = proxyActivities<Activities>({
    startToCloseTimeout: '12h',
    heartbeatTimeout: input.receive.heartbeatTimeoutMs,
    scheduleToCloseTimeout: input.receive.giveUpAfterMs,
    retry: untilGiveUp(input.receive.retry),
  });
  const p: IngestProgress = input.progress ?? {
    total: input.total,
    done: 0,
    bytesDone: 0,
    bytesTotal: input.bytesTotal,
    ingested: 0,
    present: 0,
    rejected: [],
    rejectedNotListed: 0,
    finished: false,
  };
  setHandler(ingestProgressQuery, () => p);
  // Children report when a file is committed or rejected; they go on confirming to the source
  // (which may be down for days) after this workflow has given its summary.
  const outcomes = new Map<number, EntryDone>();
  setHandler(entryDoneSignal, (d) => {
    outcomes.set(d.transferId, d);
  });
  upsertSearchAttributes([{ key: PHASE, value: 'ingesting' }]);
  const me = workflowInfo().workflowId;
  const librarian = workflowInfo().typedSearchAttributes.get(LIBRARIAN);
  const ids = workflowIds(librarian ?? 'librarian');
  const children = { parentClosePolicy: ParentClosePolicy.ABANDON };
  const reject = (name: string, reason: string) => {
    if (p.rejected.length < MAX_REJECTIONS_LISTED) p.rejected.push({ name, reason });
    else p.rejectedNotListed++;
  };
  const tellArgs = { retry: input.receive.retry, giveUpAfterMs: input.receive.giveUpAfterMs, heartbeatTimeoutMs: input.receive.heartbeatTimeoutMs };

  const ingestOne = async (e: ManifestEntry) => {
    let staged: Awaited<ReturnType<Activities['stageDriveEntry']>>;
    try {
      staged = await db.stageDriveEntry(input.source, input.operator, e);
    } catch (err) {
      // Not staged (a store that cannot take it, a disk that kept failing): nothing was recorded
      // for it here; the source offers the file again, over the network or on its next drive.
      if (!(err instanceof ActivityFailure) || isCancellation(err)) throw err;
      const d = failureDetails(err);
      staged = { kind: 'refused', status: d?.status ?? 503, reason: d?.reason ?? `Staging failed repeatedly: ${describeFailure(err.cause)}.` };
    }
    if (staged.kind === 'present') {
      await startChild(tellSource, { ...children, workflowId: ids.ingestPresent(me, e.outgoing_transfer_id), args: [{ kind: 'present', source: input.source, sourceTransferId: e.outgoing_transfer_id, storeId: staged.storeId, ...tellArgs }] });
      p.present++;
    } else if (staged.kind === 'refused') {
      reject(e.name, staged.reason);
    } else {
      let copied = true;
      try {
        await drive.copyFromDrive(staged.transferId, input.driveRoot, e.instance_path);
      } catch (err) {
        const reason = failureDetails(err)?.reason ?? String((err as Error).message);
        await db.failIncoming(staged.transferId, reason, 404);
        await startChild(tellSource, { ...children, workflowId: ids.ingestFailed(me, staged.transferId), args: [{ kind: 'failed', transferId: staged.transferId, reason, ...tellArgs }] });
        reject(e.name, reason);
        copied = false;
      }
      if (copied) {
        await startChild(receiveClone, {
          ...children,
          workflowId: ids.receive(staged.transferId),
          args: [{ ...input.receive, transferId: staged.transferId, source: input.source, staged: true, method: 'sneakernet', notify: me }],
          typedSearchAttributes: [...(librarian ? [{ key: LIBRARIAN, value: librarian }] : []), { key: PEER, value: input.source }],
        });
        await condition(() => outcomes.has(staged.transferId));
        const r = outcomes.get(staged.transferId)!;
        if (r.outcome === 'done') p.ingested++;
        else reject(e.name, r.reason ?? r.outcome);
      }
    }
    p.done++;
    p.bytesDone += e.size;
  };

  let offset = input.offset ?? 0;
  for (let page = 0; offset < input.total; page++) {
    if (page === PAGES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof sneakernetIngest>({ ...input, offset, progress: p });
    }
    const queue = await db.manifestEntries(input.manifest, offset, PAGE);
    if (queue.length === 0) break;
    offset += queue.length;
    await Promise.all(
      Array.from({ length: Math.max(1, Math.min(input.concurrency, queue.length)) }, async () => {
        for (let e = queue.shift(); e; e = queue.shift()) await ingestOne(e);
      }),
    );
  }
  p.finished = true;
  const rejected = p.rejected.length + p.rejectedNotListed;
  upsertSearchAttributes([{ key: PHASE, value: rejected ? `done, ${rejected} rejected` : 'done' }]);
  return p;
}
