/**
 * Uploads from clients, the state machine around the shared ingest steps:
 *
 *   stage   an IncomingTransfer and a UUID staging directory on the first store with room
 *           (a new stage of the same name by the same account, or an admin, supersedes a stale attempt);
 *   verify  size and checksum of what is staged; a good verdict makes the transfer STAGED;
 *   commit  into the store and the catalogue (domain/ingest); verifyAndCommit does both in one
 *           step (what the upload workflow runs), verify and commit apart serve workflows
 *           started before it;
 *   fail    FAILED and staging removed.
 *
 * The upload workflow owns one destination name at a time (its id is derived from the name),
 * so between stage and commit nobody else writes that store path.
 */
import fs from 'node:fs/promises';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { parseChecksum, sameChecksum } from '../../shared/checksums';
import { conflict, forbidden, tooLarge } from '../../shared/errors';
import { checkFileName, checkUploadName } from '../../shared/names';
import { TERMINAL_STATUSES } from '../../shared/transferStatus';
import { Prisma, type Db } from '../catalog/db';
import { prefixRange } from '../catalog/search';
import type { Catalogued, DeletionPolicyName, Ingest, Progress, Verdict } from '../ingest';
import { exists } from '../stores/files';
import type { LocalStore } from '../stores/localStore';
import type { StoreRow, StoreService } from '../stores/stores';
import type { IncomingTransfer, IncomingTransfers } from '../transfers/incoming';
import type { Principal } from '../users/users';
import { readUploadState } from './uploadState';

/** Progress of the commit step, and which of its two parts runs. */
export interface CommitProgress extends Progress {
  onStep?: (step: 'verify' | 'commit') => void;
}

export type CommitOutcome = { ok: true; result: Catalogued } | Extract<Verdict, { ok: false }>;

/** What namesAt looks for, numbered in the order precheck reports it. */
const Probe = { File: 1, FileAbove: 2, ReceivingAbove: 3, FileBelow: 4, ReceivingBelow: 5 } as const;
type Probe = (typeof Probe)[keyof typeof Probe];

export interface StageRequest {
  uploadSize: number;
  /** Absent: declared at commit instead (declareChecksum), so the client can hash while it copies. */
  uploadChecksum?: string;
  uploadName: string;
  destination: string;
  uploader: string;
  /** The authenticated account; only it (or an admin) may send data and commit. */
  createdBy: string;
  /** That account is an ADMIN: it may supersede another account's upload in progress. */
  createdByAdmin?: boolean;
  workflowId: string;
  /** Chosen by the workflow; names the staging directory, so a retried stage finds its own. */
  attemptId: string;
}

export interface StageResult {
  transferId: number;
  storeId: number;
  storeName: string;
  stagingName: string;
  stagingDir: string;
  stagingLocation: string;
  uploadName: string;
  destination: string;
  availableBytes: number;
  transferMethods: { local?: { hostnames: string[] } };
  supersededTransferIds: number[];
}

/** How a transfer in progress compares with a new stage of its name, for the refusal's reason. */
function describeChecksums(theirs: string | null, ours: string | undefined): string {
  if (theirs === null) return ', its checksum to be declared at its commit';
  if (ours === undefined) return '';
  return `, with ${sameChecksum(theirs, ours) ? 'the same' : 'a different'} checksum`;
}

export class UploadService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly incoming: IncomingTransfers,
    private readonly ingest: Ingest,
    private readonly log: Logger,
  ) {}

  /** Cheap checks before any workflow exists, so bad requests leave nothing behind. */
  async precheck(req: { uploadSize: number; uploadChecksum?: string; uploadName: string; destination: string }): Promise<void> {
    if (req.uploadSize > this.config.api.maxUploadSizeBytes) {
      throw tooLarge(
        `Upload size ${req.uploadSize} bytes is larger than this Librarian accepts (${this.config.api.maxUploadSizeBytes} bytes).`,
        'Split the data, or ask the operators to raise api.maxUploadSizeBytes.',
      );
    }
    if (req.uploadChecksum !== undefined) parseChecksum(req.uploadChecksum);
    checkFileName(req.destination);
    checkUploadName(req.uploadName);
    const found = await this.namesAt(req.destination);
    const at = (k: Probe) => found.find((r) => Number(r.k) === k);
    const file = at(Probe.File);
    if (file) {
      throw conflict(`File "${req.destination}" already exists on this Librarian.`, 'Files are immutable: upload under a new name, or search for the existing one.', {
        existing_checksum: file.checksum,
      });
    }
    // A File name is a path in a store: no file can lie inside another ("a/b" a file, "a/b/c"
    // asked), nor be where files lie below ("a/b/c" a file, "a/b" asked), whichever stores they
    // are on, catalogued or being received.
    const outer = at(Probe.FileAbove);
    if (outer) {
      throw conflict(`"${outer.name}" is a file on this Librarian, so "${req.destination}" cannot be stored inside it.`, 'Choose a destination name that does not lie inside an existing file.');
    }
    const receiving = at(Probe.ReceivingAbove);
    if (receiving) {
      throw conflict(
        `"${receiving.name}" is being received as a file (transfer ${Number(receiving.id)}), so "${req.destination}" cannot be stored inside it.`,
        'Choose a destination name that does not lie inside that file, or wait until that transfer has failed.',
      );
    }
    const inside = at(Probe.FileBelow);
    if (inside) {
      throw conflict(`"${req.destination}" holds files on this Librarian (such as "${inside.name}"), so it cannot be a file itself.`, 'Choose another destination name.');
    }
    const arriving = at(Probe.ReceivingBelow);
    if (arriving) {
      throw conflict(`"${arriving.name}" is being received (transfer ${Number(arriving.id)}), so "${req.destination}" cannot be a file.`, 'Choose another destination name.');
    }
  }

  /**
   * What the catalog holds at and around a destination name, in one statement (the API checks
   * this before any workflow exists and the stage again, for every upload): the file of that
   * name, the first file and unfinished transfer among the names above it, and the first of each
   * below it. Names below, byte for byte ("A/x", "a_b/x" or "a%b/x" are not below "a/" or
   * "aXb/"): the range of search/file's name_prefix, which the name indexes answer (collated "C"
   * on PostgreSQL, BINARY on SQLite), so one row tells, however many names are near it.
   */
  private async namesAt(destination: string): Promise<{ k: number | bigint; name: string; id: number | bigint | null; checksum: string | null }[]> {
    const segments = destination.split('/');
    const above = segments.slice(1).map((_, i) => segments.slice(0, i + 1).join('/'));
    const below = prefixRange(`${destination}/`);
    const range = (column: string) => Prisma.sql`${Prisma.raw(column)} >= ${below.gte}${below.lt === undefined ? Prisma.empty : Prisma.sql` AND ${Prisma.raw(column)} < ${below.lt}`}`;
    // The status is an enum on PostgreSQL and text on SQLite: compared as text on both.
    const unfinished = Prisma.sql`CAST("status" AS TEXT) NOT IN (${Prisma.join([...TERMINAL_STATUSES])})`;
    const probes = [Prisma.sql`SELECT ${Prisma.raw(String(Probe.File))} AS "k", "name", CAST(NULL AS INTEGER) AS "id", "checksum" FROM "files" WHERE "name" = ${destination}`];
    if (above.length > 0) {
      probes.push(
        Prisma.sql`SELECT ${Prisma.raw(String(Probe.FileAbove))}, "name", NULL, NULL FROM (SELECT "name" FROM "files" WHERE "name" IN (${Prisma.join(above)}) LIMIT 1) fa`,
        Prisma.sql`SELECT ${Prisma.raw(String(Probe.ReceivingAbove))}, "store_path", "id", NULL FROM (SELECT "store_path", "id" FROM "incoming_transfers" WHERE "store_path" IN (${Prisma.join(above)}) AND ${unfinished} LIMIT 1) ra`,
      );
    }
    probes.push(
      Prisma.sql`SELECT ${Prisma.raw(String(Probe.FileBelow))}, "name", NULL, NULL FROM (SELECT "name" FROM "files" WHERE ${range('"name"')} ORDER BY "name" LIMIT 1) fb`,
      Prisma.sql`SELECT ${Prisma.raw(String(Probe.ReceivingBelow))}, "store_path", "id", NULL FROM (SELECT "store_path", "id" FROM "incoming_transfers" WHERE ${range('"store_path"')} AND ${unfinished} ORDER BY "store_path" LIMIT 1) rb`,
    );
    return this.db.$queryRaw(Prisma.sql`${Prisma.join(probes, ' UNION ALL ')}`);
  }

  /** A transfer as the account that staged it (or an admin) may act on it. */
  async owned(principal: Principal, transferId: number): Promise<IncomingTransfer> {
    const t = await this.incoming.get(transferId);
    if (t.createdBy !== principal.username && principal.level !== 'ADMIN') {
      throw forbidden(`Transfer ${transferId} belongs to "${t.createdBy}".`, 'Only the account that staged an upload (or an admin) can send its data or commit it.');
    }
    return t;
  }

  async stage(req: StageRequest): Promise<StageResult> {
    const retried = await this.db.incomingTransfer.findUnique({ where: { stagingPath: req.attemptId } });
    if (retried) return this.describeStaged(retried, []);
    await this.precheck(req);

    // Staging a name again replaces (fails) the attempt in progress, whatever its checksum, but
    // only for the account that staged it or an admin: anyone else would break an upload that
    // is not theirs, even with the same content (the data sent so far is the other account's).
    const superseded: number[] = [];
    for (const t of await this.incoming.activeFor(req.destination)) {
      // The same request again before any data arrived (same account): a client retrying a stage
      // whose answer it never got (a timeout) reaches the transfer that stage made.
      if (t.workflowId === req.workflowId && (await this.untouchedSame(t, req))) return this.describeStaged(t, []);
      const mayReplace = t.workflowId === req.workflowId && (t.createdBy === req.createdBy || req.createdByAdmin === true);
      if (!mayReplace) {
        throw conflict(
          `"${req.destination}" is already being received (transfer ${t.id}, from ${t.source}${describeChecksums(t.transferChecksum, req.uploadChecksum)}).`,
          `Wait for that transfer to finish or fail (an upload not committed is failed after uploads.stagingTimeout), then try again; only the account that staged it, or an admin, can stage it again while it is in progress.`,
        );
      }
      superseded.push(t.id);
    }
    for (const id of superseded) await this.incoming.failed(id, 'Superseded by a new stage of the same destination.');

    const picked = await this.stores.pickForIngest(req.uploadSize);
    const final = picked.store.storePathFor(req.destination);
    await picked.store.assertInside(picked.store.storeRoot, final);
    if (await exists(final)) {
      throw conflict(
        `Store "${picked.row.name}" already holds data at ${final}, which the catalog does not list.`,
        'Operators: inspect that path, then register or remove it before uploading this name.',
      );
    }
    const t = await this.incoming.stage({
      store: picked,
      stagingName: req.attemptId,
      uploader: req.uploader,
      source: req.createdBy,
      createdBy: req.createdBy,
      uploadName: req.uploadName,
      destination: req.destination,
      size: req.uploadSize,
      checksum: req.uploadChecksum ?? null,
      workflowId: req.workflowId,
    });
    this.log.info({ transfer: t.id, destination: req.destination, store: picked.row.name, size: req.uploadSize }, 'upload staged');
    return this.describeStaged(t, superseded, picked);
  }

  /** Whether `t` was staged by this very request (same account, name, size, checksum, uploader) and nothing has arrived for it. */
  private async untouchedSame(t: IncomingTransfer, req: StageRequest): Promise<boolean> {
    const same =
      t.status === 'INITIATED' &&
      t.createdBy === req.createdBy &&
      t.uploader === req.uploader &&
      t.uploadName === req.uploadName &&
      Number(t.transferSize) === req.uploadSize &&
      (t.transferChecksum === null || req.uploadChecksum === undefined ? t.transferChecksum === (req.uploadChecksum ?? null) : sameChecksum(t.transferChecksum, req.uploadChecksum));
    return same && !(await exists((await this.incoming.staging(t)).location));
  }

  /** `picked`: the store just chosen for `t` and its free space, so they are not looked up again. */
  private async describeStaged(t: IncomingTransfer, supersededTransferIds: number[], picked?: { row: StoreRow; store: LocalStore; free: number }): Promise<StageResult> {
    const { dir, location, row } = picked ? this.incoming.stagingOn(t, picked) : await this.incoming.staging(t);
    const local = this.stores.transferMethods(row).local;
    return {
      transferId: t.id,
      storeId: row.id,
      storeName: row.name,
      stagingName: t.stagingPath!,
      stagingDir: dir,
      stagingLocation: location,
      uploadName: t.uploadName,
      destination: t.storePath,
      availableBytes: picked ? picked.free : await this.stores.free(row),
      transferMethods: local ? { local } : {},
      supersededTransferIds,
    };
  }

  /** The commit's first step: the staged data must match what was declared; then it is STAGED. */
  async verify(transferId: number, opts: Progress = {}): Promise<Verdict> {
    const verdict = await this.ingest.verify(transferId, opts, true);
    if (!verdict.ok) return verdict;
    const { status } = await this.incoming.get(transferId);
    if (status === 'INITIATED' || status === 'ONGOING') await this.incoming.staged(transferId);
    return verdict;
  }

  /**
   * The whole commit as one step: verify what is staged (unless an earlier attempt already made
   * the transfer STAGED), then move it into the store and catalogue it. Safe to repeat after a
   * crash in either part: a crash while hashing hashes again; once STAGED, the data is not hashed
   * again and the move and the catalogue are recognised as an earlier attempt's (Ingest.commit).
   */
  async verifyAndCommit(transferId: number, deletionPolicy: DeletionPolicyName, opts: CommitProgress = {}): Promise<CommitOutcome> {
    const t = await this.incoming.get(transferId);
    const verified = t.status === 'STAGED' || t.status === 'COMPLETED';
    const staging = t.status === 'FAILED' || t.status === 'CANCELLED' ? undefined : await this.incoming.staging(t);
    if (!verified) {
      opts.onStep?.('verify');
      const verdict = await this.ingest.verifyStaged(t, staging, opts, true);
      if (!verdict.ok) return verdict;
      await this.incoming.staged(t.id, undefined, t.status);
    }
    opts.onStep?.('commit');
    return { ok: true, result: await this.ingest.commitStaged({ ...t, status: verified ? t.status : 'STAGED' }, staging!, deletionPolicy, opts) };
  }

  /** What the staging area holds for an HTTP upload, for resuming it. */
  async progress(principal: Principal, transferId: number) {
    const t = await this.owned(principal, transferId);
    if (t.storeId === null || !t.stagingPath) return { transfer: t, receivedBytes: 0, files: [] as { path: string; size: number }[] };
    const { dir, location } = await this.incoming.staging(t);
    const state = await readUploadState(dir, t.journalKey);
    if (state?.kind === 'directory') {
      const files = Object.entries(state.files).map(([p, f]) => ({ path: p, size: f.size }));
      return { transfer: t, receivedBytes: files.reduce((s, f) => s + f.size, 0), files };
    }
    const st = await fs.stat(location).catch(() => undefined);
    return { transfer: t, receivedBytes: st?.isFile() ? st.size : 0, files: [] };
  }
}
