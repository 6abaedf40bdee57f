/**
 * Ingest of a SneakerNet drive at the destination (one workflow per manifest): each file is
 * staged as a clone from the source Librarian, copied from the drive, then verified, committed
 * and confirmed to the source by its own receiveClone child. A file that fails verification is
 * never committed: it is reported (and the source offers it again). The workflow survives an
 * unplugged drive (the copy waits for it) and a killed worker, resuming where it stopped.
 */
import { condition, defineQuery, ParentClosePolicy, proxyActivities, setHandler, startChild, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ManifestEntry } from '../services/sneakernet';
import { failureDetails } from './failures';
import { entryDoneSignal, receiveClone, tellSource, type EntryDone, type ReceiveCloneInput } from './receiveClone';
import { LIBRARIAN, PEER, PHASE } from './searchAttributes';

export interface SneakernetIngestInput {
  source: string;
  operator: string;
  driveRoot: string;
  entries: ManifestEntry[];
  receive: Omit<ReceiveCloneInput, 'transferId' | 'source' | 'staged' | 'notify'>;
  concurrency: number;
}

export interface IngestProgress {
  total: number;
  done: number;
  bytesDone: number;
  bytesTotal: number;
  ingested: string[];
  present: string[];
  rejected: { name: string; reason: string }[];
  finished: boolean;
}

export const ingestProgressQuery = defineQuery<IngestProgress>('progress');

export async function sneakernetIngest(input: SneakernetIngestInput): Promise<IngestProgress> {
  const retry = { initialInterval: input.receive.retry.initialInterval, maximumInterval: input.receive.retry.maximumInterval, backoffCoefficient: 2 };
  const db = proxyActivities<Activities>({ startToCloseTimeout: '30s', retry: { initialInterval: '1s', maximumInterval: '1m' } });
  const drive = proxyActivities<Activities>({ startToCloseTimeout: '12h', heartbeatTimeout: input.receive.heartbeatTimeoutMs, scheduleToCloseTimeout: input.receive.giveUpAfterMs, retry });
  const p: IngestProgress = {
    total: input.entries.length,
    done: 0,
    bytesDone: 0,
    bytesTotal: input.entries.reduce((s, e) => s + e.size, 0),
    ingested: [],
    present: [],
    rejected: [],
    finished: false,
  };
  setHandler(ingestProgressQuery, () => p);
  // Children report when a file is committed or rejected; they go on confirming to the source
  // (which may be down for days) after this workflow has given its summary.
  const outcomes = new Map<number, EntryDone>();
  setHandler(entryDoneSignal, (d) => {
    outcomes.set(d.transferId, d);
  });
  const me = workflowInfo().workflowId;
  const children = { parentClosePolicy: ParentClosePolicy.ABANDON };
  upsertSearchAttributes([{ key: PHASE, value: 'ingesting' }]);
  const librarian = workflowInfo().typedSearchAttributes.get(LIBRARIAN);

  const ingestOne = async (e: ManifestEntry) => {
    const staged = await db.stageDriveEntry(input.source, input.operator, e);
    if (staged.kind === 'present') {
      await startChild(tellSource, {
        ...children,
        workflowId: `${me}/present/${e.outgoing_transfer_id}`,
        args: [{ kind: 'present', source: input.source, sourceTransferId: e.outgoing_transfer_id, storeId: staged.storeId, retry: input.receive.retry, giveUpAfterMs: input.receive.giveUpAfterMs }],
      });
      p.present.push(e.name);
    } else if (staged.kind === 'refused') {
      p.rejected.push({ name: e.name, reason: staged.reason });
    } else {
      try {
        await drive.copyFromDrive(staged.transferId, input.driveRoot, e.instance_path);
      } catch (err) {
        const reason = failureDetails(err)?.reason ?? String((err as Error).message);
        await db.failIncoming(staged.transferId, reason, 404);
        await startChild(tellSource, {
          ...children,
          workflowId: `${me}/failed/${staged.transferId}`,
          args: [{ kind: 'failed', transferId: staged.transferId, reason, retry: input.receive.retry, giveUpAfterMs: input.receive.giveUpAfterMs }],
        });
        p.rejected.push({ name: e.name, reason });
        p.done++;
        p.bytesDone += e.size;
        return;
      }
      await startChild(receiveClone, {
        ...children,
        workflowId: `receive/${librarian ?? 'librarian'}/${staged.transferId}`,
        args: [{ ...input.receive, transferId: staged.transferId, source: input.source, staged: true, notify: me }],
        typedSearchAttributes: [...(librarian ? [{ key: LIBRARIAN, value: librarian }] : []), { key: PEER, value: input.source }],
      });
      await condition(() => outcomes.has(staged.transferId));
      const r = outcomes.get(staged.transferId)!;
      if (r.outcome === 'done') p.ingested.push(e.name);
      else p.rejected.push({ name: e.name, reason: r.reason ?? r.outcome });
    }
    p.done++;
    p.bytesDone += e.size;
  };

  const queue = [...input.entries];
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(input.concurrency, queue.length)) }, async () => {
      for (let e = queue.shift(); e; e = queue.shift()) await ingestOne(e);
    }),
  );
  p.finished = true;
  upsertSearchAttributes([{ key: PHASE, value: p.rejected.length ? `done, ${p.rejected.length} rejected` : 'done' }]);
  return p;
}
