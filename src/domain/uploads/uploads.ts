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
import type { Db } from '../catalog/db';
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

export interface StageRequest {
  uploadSize: number;
  uploadChecksum: string;
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
  async precheck(req: { uploadSize: number; uploadChecksum: string; uploadName: string; destination: string }): Promise<void> {
    if (req.uploadSize > this.config.api.maxUploadSizeBytes) {
      throw tooLarge(
        `Upload size ${req.uploadSize} bytes is larger than this Librarian accepts (${this.config.api.maxUploadSizeBytes} bytes).`,
        'Split the data, or ask the operators to raise api.maxUploadSizeBytes.',
      );
    }
    parseChecksum(req.uploadChecksum);
    checkFileName(req.destination);
    checkUploadName(req.uploadName);
    const file = await this.db.file.findUnique({ where: { name: req.destination } });
    if (file) {
      throw conflict(`File "${req.destination}" already exists on this Librarian.`, 'Files are immutable: upload under a new name, or search for the existing one.', {
        existing_checksum: file.checksum,
      });
    }
    await this.assertNoPathClash(req.destination);
  }

  /**
   * A File name is a path in a store: no file can lie inside another ("a/b" a file, "a/b/c"
   * asked), nor be where files lie below ("a/b/c" a file, "a/b" asked), whichever stores they are
   * on, catalogued or being received. Refused here, before anything is staged.
   */
  private async assertNoPathClash(destination: string): Promise<void> {
    const segments = destination.split('/');
    const above = segments.slice(1).map((_, i) => segments.slice(0, i + 1).join('/'));
    if (above.length > 0) {
      const file = await this.db.file.findFirst({ where: { name: { in: above } }, select: { name: true } });
      if (file) {
        throw conflict(`"${file.name}" is a file on this Librarian, so "${destination}" cannot be stored inside it.`, 'Choose a destination name that does not lie inside an existing file.');
      }
      const receiving = await this.db.incomingTransfer.findFirst({ where: { storePath: { in: above }, status: { notIn: TERMINAL_STATUSES } }, select: { id: true, storePath: true } });
      if (receiving) {
        throw conflict(
          `"${receiving.storePath}" is being received as a file (transfer ${receiving.id}), so "${destination}" cannot be stored inside it.`,
          'Choose a destination name that does not lie inside that file, or wait until that transfer has failed.',
        );
      }
    }
    // Names below, byte for byte ("A/x", "a_b/x" or "a%b/x" are not below "a/" or "aXb/"): the
    // range of search/file's name_prefix, which the name indexes answer (collated "C" on
    // PostgreSQL, BINARY on SQLite), so one row tells, however many names are near it.
    const below = prefixRange(`${destination}/`);
    const inside = await this.db.file.findFirst({ where: { name: { gte: below.gte, lt: below.lt } }, select: { name: true }, orderBy: { name: 'asc' } });
    if (inside) {
      throw conflict(`"${destination}" holds files on this Librarian (such as "${inside.name}"), so it cannot be a file itself.`, 'Choose another destination name.');
    }
    const arriving = await this.db.incomingTransfer.findFirst({
      where: { storePath: { gte: below.gte, lt: below.lt }, status: { notIn: TERMINAL_STATUSES } },
      select: { id: true, storePath: true },
      orderBy: { storePath: 'asc' },
    });
    if (arriving) {
      throw conflict(`"${arriving.storePath}" is being received (transfer ${arriving.id}), so "${destination}" cannot be a file.`, 'Choose another destination name.');
    }
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
          `"${req.destination}" is already being received (transfer ${t.id}, from ${t.source}, with ${sameChecksum(t.transferChecksum, req.uploadChecksum) ? 'the same' : 'a different'} checksum).`,
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
      checksum: req.uploadChecksum,
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
      sameChecksum(t.transferChecksum, req.uploadChecksum);
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
    const state = await readUploadState(dir);
    if (state?.kind === 'directory') {
      const files = Object.entries(state.files).map(([p, f]) => ({ path: p, size: f.size }));
      return { transfer: t, receivedBytes: files.reduce((s, f) => s + f.size, 0), files };
    }
    const st = await fs.stat(location).catch(() => undefined);
    return { transfer: t, receivedBytes: st?.isFile() ? st.size : 0, files: [] };
  }
}
