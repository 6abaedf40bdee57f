/**
 * Verified ingest. Each step is idempotent, because Temporal retries it after a crash:
 *
 *   stage   IncomingTransfer + a UUID staging directory on the first store with room;
 *   verify  size and checksum of what is staged;
 *   commit  move (or copy and re-verify) into the store, then File + Instance in one transaction;
 *   fail    FAILED and staging removed.
 *
 * The upload workflow owns one destination name at a time (its id is derived from the name),
 * so between stage and commit nobody else writes that store path.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import { badRequest, conflict, LibrarianError, notAcceptable, notFound, tooLarge } from '../errors';
import type { Logger } from '../logger';
import { parseChecksum, sameChecksum, type ChecksumPool, type HashOptions } from './checksums';
import type { Db, Prisma } from './db';
import { LocalStore, safeRelativePath } from './localStore';
import { ACTIVE_STATUSES, TERMINAL_STATUSES } from './transferStatus';
import type { StoreRow, StoreService } from './stores';
import { readUploadState } from './uploadState';

export interface StageRequest {
  uploadSize: number;
  uploadChecksum: string;
  uploadName: string;
  destination: string;
  uploader: string;
  /** The authenticated account; only it (or an admin) may send data and commit. */
  createdBy: string;
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

export interface VerifyResult {
  ok: boolean;
  status?: number;
  reason?: string;
  suggestedRemedy?: string;
  size?: number;
  checksum?: string;
}

export interface CommitResult {
  fileName: string;
  instanceId: number;
  storeName: string;
  path: string;
}

export type DeletionPolicyName = 'DISALLOWED' | 'ALLOWED';

export function validateUploadName(name: string): string {
  const clean = safeRelativePath(name, 'upload name');
  if (clean.includes('/') || clean.startsWith('.librarian')) {
    throw badRequest(`The upload name "${name}" must be a single file or directory name.`, 'Use the last segment of the destination path, e.g. "book_123".');
  }
  return clean;
}

export class UploadService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly checksums: ChecksumPool,
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
    safeRelativePath(req.destination, 'destination path');
    validateUploadName(req.uploadName);
    const file = await this.db.file.findUnique({ where: { name: req.destination } });
    if (file) {
      throw conflict(`File "${req.destination}" already exists on this Librarian.`, 'Files are immutable: upload under a new name, or search for the existing one.', {
        existing_checksum: file.checksum,
      });
    }
  }

  private async transfer(id: number) {
    const t = await this.db.incomingTransfer.findUnique({ where: { id } });
    if (!t) throw notFound(`No transfer with id ${id}.`, 'Use the transfer_id returned by upload/stage.');
    return t;
  }

  private async storeOf(storeId: number | null): Promise<{ row: StoreRow; store: LocalStore }> {
    if (storeId === null) throw new LibrarianError(500, 'The transfer has no store.', 'Stage the upload again.');
    const row = await this.stores.rowById(storeId);
    return { row, store: this.stores.local(row) };
  }

  /** The first ingestable, enabled, mounted store with more than `size` bytes free. */
  async pickStore(size: number): Promise<{ row: StoreRow; store: LocalStore; free: number }> {
    for (const row of await this.stores.rows()) {
      if (!row.ingestable || !row.enabled) continue;
      const store = this.stores.local(row);
      const free = await this.stores.free(row);
      if (free > size) return { row, store, free };
    }
    throw tooLarge(`No store has room for ${size} bytes.`, 'Try again after space is freed or another store is enabled; operators can check with "librarian stores list".');
  }

  async stage(req: StageRequest): Promise<StageResult> {
    const retried = await this.db.incomingTransfer.findUnique({ where: { stagingPath: req.attemptId } });
    if (retried) return this.describeStaged(retried.id, []);
    await this.precheck(req);

    const active = await this.db.incomingTransfer.findMany({ where: { storePath: req.destination, status: { in: ACTIVE_STATUSES } } });
    const superseded: number[] = [];
    for (const t of active) {
      const stale = t.workflowId === req.workflowId && (sameChecksum(t.transferChecksum, req.uploadChecksum) || t.createdBy === req.createdBy);
      if (!stale) {
        throw conflict(
          `"${req.destination}" is already being received (transfer ${t.id}, from ${t.source}, with ${sameChecksum(t.transferChecksum, req.uploadChecksum) ? 'the same' : 'a different'} checksum).`,
          'Wait for that transfer to finish or fail, then try again.',
        );
      }
      superseded.push(t.id);
    }
    for (const id of superseded) await this.fail(id, 'Superseded by a new stage of the same destination.');

    const { row, store, free } = await this.pickStore(req.uploadSize);
    const final = store.storePathFor(req.destination);
    await store.assertInside(store.storeRoot, final);
    if (await exists(final)) {
      throw conflict(
        `Store "${row.name}" already holds data at ${final}, which the catalog does not list.`,
        'Operators: inspect that path, then register or remove it before uploading this name.',
      );
    }
    const stagingDir = await store.makeStagingDir(req.attemptId);
    try {
      const t = await this.db.incomingTransfer.create({
        data: {
          status: 'INITIATED',
          uploader: req.uploader,
          source: req.createdBy,
          createdBy: req.createdBy,
          uploadName: req.uploadName,
          transferSize: BigInt(req.uploadSize),
          transferChecksum: req.uploadChecksum,
          storeId: row.id,
          stagingPath: req.attemptId,
          storePath: req.destination,
          workflowId: req.workflowId,
        },
      });
      this.log.info({ transfer: t.id, destination: req.destination, store: row.name, size: req.uploadSize }, 'upload staged');
      return { ...(await this.describeStaged(t.id, superseded)), availableBytes: free };
    } catch (e) {
      const again = await this.db.incomingTransfer.findUnique({ where: { stagingPath: req.attemptId } });
      if (again) return this.describeStaged(again.id, superseded);
      await fs.rm(stagingDir, { recursive: true, force: true });
      throw e;
    }
  }

  async describeStaged(transferId: number, supersededTransferIds: number[]): Promise<StageResult> {
    const t = await this.transfer(transferId);
    const { row, store } = await this.storeOf(t.storeId);
    const stagingDir = store.stagingDirFor(t.stagingPath!);
    return {
      transferId: t.id,
      storeId: row.id,
      storeName: row.name,
      stagingName: t.stagingPath!,
      stagingDir,
      stagingLocation: path.join(stagingDir, t.uploadName),
      uploadName: t.uploadName,
      destination: t.storePath,
      availableBytes: await this.stores.free(row),
      transferMethods: this.stores.transferMethods(row).local ? { local: this.stores.transferMethods(row).local! } : {},
      supersededTransferIds,
    };
  }

  /** Checks size and checksum of the staged data. Never throws for a mismatch: returns the verdict. */
  async verify(transferId: number, opts: Pick<HashOptions, 'onProgress' | 'signal'> = {}): Promise<VerifyResult> {
    const t = await this.transfer(transferId);
    if (t.status === 'COMPLETED') return { ok: true, size: Number(t.transferSize), checksum: t.transferChecksum };
    if (t.status === 'FAILED' || t.status === 'CANCELLED') {
      return { ok: false, status: 409, reason: `Transfer ${t.id} is ${t.status}: ${t.failureReason ?? 'no reason recorded'}.`, suggestedRemedy: 'Stage the upload again.' };
    }
    const { store } = await this.storeOf(t.storeId);
    const stagingDir = store.stagingDirFor(t.stagingPath!);
    const staged = path.join(stagingDir, t.uploadName);
    if (!(await exists(staged))) {
      return {
        ok: false,
        status: 404,
        reason: `Nothing was found in the staging area at ${staged}.`,
        suggestedRemedy: 'Copy the data to staging_location (or send it with PUT upload/<transfer_id>/data) before committing; then stage again.',
      };
    }
    const expected = parseChecksum(t.transferChecksum);
    let result;
    try {
      const state = await readUploadState(stagingDir);
      const known = state?.algorithm === expected.algorithm ? state.files : undefined;
      result = await this.checksums.hashPath(staged, expected.algorithm, { ...opts, known });
    } catch (e) {
      if (e instanceof LibrarianError) return { ok: false, status: e.status, reason: e.reason, suggestedRemedy: e.suggestedRemedy };
      throw e;
    }
    if (result.size !== Number(t.transferSize)) {
      return {
        ok: false,
        status: 406,
        reason: `Size mismatch: the upload declared ${t.transferSize} bytes, the staging area holds ${result.size}.`,
        suggestedRemedy: 'Check the source data and upload it again.',
        size: result.size,
        checksum: result.checksum,
      };
    }
    if (!sameChecksum(result.checksum, t.transferChecksum)) {
      return {
        ok: false,
        status: 406,
        reason: `Checksum mismatch: the upload declared ${t.transferChecksum}, the staged data hashes to ${result.checksum}.`,
        suggestedRemedy: 'The data changed or was damaged on the way: check the source and upload it again.',
        size: result.size,
        checksum: result.checksum,
      };
    }
    await this.db.incomingTransfer.updateMany({ where: { id: t.id, status: { in: ['INITIATED', 'ONGOING'] } }, data: { status: 'STAGED' } });
    return { ok: true, size: result.size, checksum: result.checksum };
  }

  /**
   * Moves verified data into the store and catalogues it. Safe to repeat after a crash at any
   * point: a previous attempt's move is recognised (the name is ours since stage), and a
   * finished commit only has its staging removed.
   */
  async commit(transferId: number, deletionPolicy: DeletionPolicyName, opts: Pick<HashOptions, 'onProgress' | 'signal'> = {}): Promise<CommitResult> {
    const t = await this.transfer(transferId);
    const { row, store } = await this.storeOf(t.storeId);
    const stagingDir = store.stagingDirFor(t.stagingPath!);
    if (t.status === 'COMPLETED') {
      await fs.rm(stagingDir, { recursive: true, force: true });
      const inst = await this.db.instance.findUniqueOrThrow({ where: { fileName_storeId: { fileName: t.storePath, storeId: row.id } } });
      return { fileName: t.storePath, instanceId: inst.id, storeName: row.name, path: store.storePathFor(inst.path) };
    }
    if (t.status !== 'STAGED') {
      throw conflict(`Transfer ${t.id} is ${t.status} and cannot be committed.`, 'Only verified (STAGED) transfers are committed; stage the upload again.');
    }
    const staged = path.join(stagingDir, t.uploadName);
    const final = store.storePathFor(t.storePath);
    await store.assertInside(store.storeRoot, final);
    await this.placeIntoStore(store, staged, final, t.transferChecksum, opts);

    const now = new Date();
    const relative = safeRelativePath(t.storePath);
    try {
      await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
        await tx.file.create({
          data: {
            name: t.storePath,
            createTime: t.fileCreateTime ?? now,
            size: t.transferSize,
            checksum: t.transferChecksum,
            uploader: t.uploader,
            source: t.source,
          },
        });
        await tx.instance.create({
          data: {
            path: relative,
            fileName: t.storePath,
            storeId: row.id,
            deletionPolicy,
            createdTime: now,
            calculatedChecksum: t.transferChecksum,
            calculatedSize: t.transferSize,
            checksumTime: now,
          },
        });
        await tx.incomingTransfer.update({ where: { id: t.id }, data: { status: 'COMPLETED', endTime: now } });
      });
    } catch (e) {
      if ((e as { code?: string }).code !== 'P2002') throw e;
      const file = await this.db.file.findUnique({ where: { name: t.storePath } });
      throw conflict(`"${t.storePath}" was catalogued by someone else while this upload was committing${file ? ` (checksum ${file.checksum})` : ''}.`, 'Search for the existing file.');
    }
    await fs.rm(stagingDir, { recursive: true, force: true });
    const inst = await this.db.instance.findUniqueOrThrow({ where: { fileName_storeId: { fileName: t.storePath, storeId: row.id } } });
    this.log.info({ transfer: t.id, file: t.storePath, store: row.name, instance: inst.id }, 'upload committed');
    return { fileName: t.storePath, instanceId: inst.id, storeName: row.name, path: final };
  }

  /**
   * Puts verified staged data at its final path in a store: a rename, or a copy that is
   * re-verified when the store changes ownership or permissions (or lives on another
   * filesystem). Safe to repeat after a crash: data already at `final` is recognised (and
   * re-checked when the staged copy is gone).
   */
  async placeIntoStore(store: LocalStore, staged: string, final: string, checksum: string, opts: Pick<HashOptions, 'onProgress' | 'signal'> = {}): Promise<void> {
    const copyMode = store.settings.ownAfterCommit || store.settings.readonlyAfterCommit;

    if (await exists(staged)) {
      if (!(await exists(final))) {
        await fs.mkdir(path.dirname(final), { recursive: true });
        let moved = false;
        if (!copyMode) {
          try {
            await fs.rename(staged, final);
            moved = true;
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
          }
        }
        if (!moved) await this.copyVerified(staged, final, checksum, store, opts);
      }
      // else: a previous attempt already put it there (verified) and crashed before cataloguing.
    } else if (await exists(final)) {
      // A previous attempt moved it and crashed before cataloguing: check it before trusting it.
      const again = await this.checksums.hashPath(final, parseChecksum(checksum).algorithm, opts);
      if (!sameChecksum(again.checksum, checksum)) {
        await removeTree(final);
        throw notAcceptable(`The data at ${final} no longer matches ${checksum}.`, 'Send the file again.');
      }
    } else {
      throw new LibrarianError(500, `The staged data is gone from ${staged}.`, 'Send the file again.');
    }
    if (store.settings.readonlyAfterCommit) await makeReadOnly(final);
  }

  /** Copies into a temporary name next to the destination, verifies, then renames into place. */
  private async copyVerified(from: string, to: string, checksum: string, store: LocalStore, opts: Pick<HashOptions, 'onProgress' | 'signal'>): Promise<void> {
    const algorithm = parseChecksum(checksum).algorithm;
    const tries = store.settings.maxCopyRetries;
    // A fixed name per destination: a copy cut short by a crash is found and replaced on retry.
    const tmp = path.join(path.dirname(to), `.librarian-incoming-${path.basename(to)}`);
    for (let attempt = 1; ; attempt++) {
      await removeTree(tmp);
      try {
        await fs.cp(from, tmp, { recursive: true, errorOnExist: true, force: false, mode: fsConstants.COPYFILE_FICLONE });
        const copy = await this.checksums.hashPath(tmp, algorithm, opts);
        if (sameChecksum(copy.checksum, checksum)) {
          await fs.rename(tmp, to);
          if (store.settings.ownAfterCommit && process.getuid && process.getgid) await chownTree(to, process.getuid(), process.getgid());
          await removeTree(from);
          return;
        }
        this.log.warn({ to, attempt, expected: checksum, got: copy.checksum }, 'copy into the store did not verify');
      } finally {
        await removeTree(tmp);
      }
      if (attempt >= tries) {
        throw notAcceptable(`Copying into the store did not verify after ${tries} attempts.`, 'Operators: check the store disk for errors. Then upload the file again.');
      }
    }
  }

  /** Marks a transfer FAILED (unless it completed) and removes its staging. Idempotent. */
  async fail(transferId: number, reason: string, status = 409): Promise<void> {
    const t = await this.db.incomingTransfer.findUnique({ where: { id: transferId } });
    if (!t) return;
    if (t.status !== 'COMPLETED') {
      await this.db.incomingTransfer.updateMany({
        where: { id: t.id, status: { notIn: TERMINAL_STATUSES } },
        data: { status: 'FAILED', endTime: new Date(), failureReason: reason, failureStatus: status },
      });
    }
    if (t.storeId !== null && t.stagingPath) {
      const { store } = await this.storeOf(t.storeId);
      await fs.rm(store.stagingDirFor(t.stagingPath), { recursive: true, force: true });
    }
    if (t.status !== 'COMPLETED' && t.status !== 'FAILED') this.log.info({ transfer: t.id, reason }, 'upload failed');
  }

  async get(transferId: number) {
    return this.transfer(transferId);
  }

  /** Where a transfer's data goes in staging (no free-space check, unlike describeStaged). */
  async stagingLocation(t: { storeId: number | null; stagingPath: string | null; uploadName: string }): Promise<string> {
    const { store } = await this.storeOf(t.storeId);
    return path.join(store.stagingDirFor(t.stagingPath!), t.uploadName);
  }

  /** What the staging area holds for an HTTP upload, for resuming it. */
  async progress(transferId: number) {
    const t = await this.transfer(transferId);
    if (t.storeId === null || !t.stagingPath) return { transfer: t, receivedBytes: 0, files: [] as { path: string; size: number }[] };
    const { store } = await this.storeOf(t.storeId);
    const stagingDir = store.stagingDirFor(t.stagingPath);
    const staged = path.join(stagingDir, t.uploadName);
    const state = await readUploadState(stagingDir);
    if (state?.kind === 'directory') {
      const files = Object.entries(state.files).map(([p, f]) => ({ path: p, size: f.size }));
      return { transfer: t, receivedBytes: files.reduce((s, f) => s + f.size, 0), files };
    }
    const st = await fs.stat(staged).catch(() => undefined);
    return { transfer: t, receivedBytes: st?.isFile() ? st.size : 0, files: [] };
  }
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Removes a file or tree, including read-only ones. */
export async function removeTree(p: string): Promise<void> {
  try {
    await fs.rm(p, { recursive: true, force: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EACCES' && (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    await makeWritable(p);
    await fs.rm(p, { recursive: true, force: true });
  }
}

async function walkTree(p: string, fn: (p: string, isDir: boolean) => Promise<void>): Promise<void> {
  const st = await fs.lstat(p);
  if (st.isDirectory()) {
    for (const e of await fs.readdir(p)) await walkTree(path.join(p, e), fn);
  }
  await fn(p, st.isDirectory());
}

export async function makeReadOnly(p: string): Promise<void> {
  await walkTree(p, (q, dir) => fs.chmod(q, dir ? 0o555 : 0o444));
}

async function makeWritable(p: string): Promise<void> {
  const st = await fs.lstat(p).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory()) {
    await fs.chmod(p, 0o755);
    for (const e of await fs.readdir(p)) await makeWritable(path.join(p, e));
  } else await fs.chmod(p, 0o644);
}

async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await walkTree(p, (q) => fs.lchown(q, uid, gid));
}
