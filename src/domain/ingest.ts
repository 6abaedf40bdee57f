/**
 * The last two steps of every arrival (upload, network clone, drive entry): verify what is in
 * staging against the declared size and checksum, and catalogue it (data placed into the store,
 * then File + Instance in one transaction with the transfer's COMPLETED). Nothing unverified is
 * ever catalogued. Each step is idempotent, because Temporal retries it after a crash.
 */
import type { Logger } from '../logger';
import { listDataFiles, parseChecksum, sameChecksum, type ChecksumPool, type HashOptions } from '../shared/checksums';
import { conflict, LibrarianError } from '../shared/errors';
import { errnoCode, permanentFsError } from '../shared/fsErrors';
import type { Findings } from './audit/findings';
import type { Db, Prisma } from './catalog/db';
import { exists } from './stores/files';
import { safeRelativePath } from './stores/localStore';
import type { Placement } from './stores/placement';
import type { StoreService } from './stores/stores';
import { declaredChecksum, type IncomingTransfer, type IncomingTransfers, type Staging } from './transfers/incoming';
import { readUploadState } from './uploads/uploadState';

export type DeletionPolicyName = 'DISALLOWED' | 'ALLOWED';
export type Progress = Pick<HashOptions, 'onProgress' | 'signal'>;

export type Verdict = { ok: true; size: number; checksum: string } | { ok: false; status: number; reason: string; suggestedRemedy: string; size?: number; checksum?: string };

export interface Catalogued {
  fileName: string;
  instanceId: number;
  storeId: number;
  storeName: string;
  path: string;
}

export class Ingest {
  constructor(
    private readonly db: Db,
    private readonly incoming: IncomingTransfers,
    private readonly placement: Placement,
    private readonly checksums: ChecksumPool,
    private readonly findings: Findings,
    private readonly stores: StoreService,
    private readonly log: Logger,
  ) {}

  /**
   * Checks size and checksum of the staged data. Never throws for a mismatch: returns the verdict.
   * `upload`: the transfer is a client's upload, whose copy the store may trust (trustClientCopies).
   */
  async verify(transferId: number, opts: Progress = {}, upload = false): Promise<Verdict> {
    return this.verifyStaged(await this.incoming.get(transferId), undefined, opts, upload);
  }

  /** `verify` of a transfer already read from the catalog (and its staging, when at hand). */
  async verifyStaged(t: IncomingTransfer, staging: Staging | undefined, opts: Progress = {}, upload = false): Promise<Verdict> {
    if (t.status === 'COMPLETED') return { ok: true, size: Number(t.transferSize), checksum: declaredChecksum(t) };
    if (t.status === 'FAILED' || t.status === 'CANCELLED') {
      return { ok: false, status: 409, reason: `Transfer ${t.id} is ${t.status}: ${(t.failureReason ?? 'no reason recorded').replace(/\.$/, '')}.`, suggestedRemedy: 'Stage the upload again.' };
    }
    if (t.transferChecksum === null) {
      return {
        ok: false,
        status: 400,
        reason: `Transfer ${t.id} was staged without a checksum, and its commit did not declare one.`,
        suggestedRemedy: 'Send upload_checksum, the checksum of the data, with upload/commit.',
      };
    }
    const declared = t.transferChecksum;
    staging ??= await this.incoming.staging(t);
    if (!(await exists(staging.location))) {
      return {
        ok: false,
        status: 404,
        reason: `Nothing was found in the staging area at ${staging.location}.`,
        suggestedRemedy: 'Copy the data to staging_location (or send it with PUT upload/<transfer_id>/data) before committing; then stage again.',
      };
    }
    const expected = parseChecksum(declared);
    let result;
    try {
      // Digests computed while an HTTP upload was written are reused while the files are unchanged.
      const state = await readUploadState(staging.dir, t.journalKey);
      const listing = await listDataFiles(staging.location);
      // Data a client copied into staging itself (none came through the HTTP receiver): its
      // declared checksum is the client's hash of the source, trusted only where the store says so.
      if (upload && staging.store.settings.trustClientCopies && !state && t.transferMethod !== 'http') {
        result = { checksum: declared, size: listing.files.reduce((s, f) => s + f.size, 0) };
      } else {
        const known = state?.algorithm === expected.algorithm ? state.files : undefined;
        result = await this.checksums.hashListed(listing, expected.algorithm, { ...opts, known });
      }
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
    if (!sameChecksum(result.checksum, declared)) {
      return {
        ok: false,
        status: 406,
        reason: `Checksum mismatch: the upload declared ${declared}, the staged data hashes to ${result.checksum}.`,
        suggestedRemedy: 'The data changed or was damaged on the way: check the source and upload it again.',
        size: result.size,
        checksum: result.checksum,
      };
    }
    return { ok: true, size: result.size, checksum: result.checksum };
  }

  /**
   * Moves verified (STAGED) data into the store and catalogues it. Safe to repeat after a crash
   * at any point: a previous attempt's move is recognised (the name is ours since stage), and a
   * finished commit only has its staging removed.
   */
  async commit(transferId: number, deletionPolicy: DeletionPolicyName, opts: Progress = {}): Promise<Catalogued> {
    const t = await this.incoming.get(transferId);
    return this.commitStaged(t, await this.incoming.staging(t), deletionPolicy, opts);
  }

  /** `commit` of a transfer (and its staging) already read from the catalog. */
  async commitStaged(t: IncomingTransfer, { location, store, row }: Staging, deletionPolicy: DeletionPolicyName, opts: Progress = {}): Promise<Catalogued> {
    if (t.status === 'COMPLETED') {
      await this.incoming.removeStaging(t, { store });
      return this.catalogued(t.id);
    }
    if (t.status !== 'STAGED') {
      throw conflict(`Transfer ${t.id} is ${t.status} and cannot be committed.`, 'Only verified (STAGED) transfers are committed; stage the upload again.');
    }
    const final = store.storePathFor(t.storePath);
    // A clone of a file we have: staged only when our copies were damaged (see CloneReceiver).
    const existing = t.sourceTransferId !== null ? await this.db.file.findUnique({ where: { name: t.storePath }, include: { instances: { where: { storeId: row.id } } } }) : null;
    if (existing) return this.commitRepair(t, existing, deletionPolicy, opts);
    const checksum = declaredChecksum(t);
    await this.intoStore(t, row.name, final, async () => {
      await store.assertInside(store.storeRoot, final);
      await this.placement.place(store, location, final, checksum, opts);
    });

    const now = new Date();
    let instance: { id: number; path: string };
    try {
      instance = await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
        await tx.file.create({
          data: { name: t.storePath, createTime: t.fileCreateTime ?? now, size: t.transferSize, checksum, uploader: t.uploader, source: t.fileSource ?? t.source },
          select: { name: true },
        });
        const created = await tx.instance.create({
          data: {
            path: safeRelativePath(t.storePath),
            fileName: t.storePath,
            storeId: row.id,
            deletionPolicy,
            createdTime: now,
            calculatedChecksum: checksum,
            calculatedSize: t.transferSize,
            checksumTime: now,
          },
          select: { id: true, path: true },
        });
        await this.incoming.completed(tx, t.id, t.status);
        return created;
      });
    } catch (e) {
      if ((e as { code?: string }).code !== 'P2002') throw e;
      const file = await this.db.file.findUnique({ where: { name: t.storePath } });
      throw conflict(`"${t.storePath}" was catalogued by someone else while this upload was committing${file ? ` (checksum ${file.checksum})` : ''}.`, 'Search for the existing file.');
    }
    await this.incoming.removeStaging(t, { store });
    // What catalogued() would read back, from the rows just written (three queries fewer per file).
    const done: Catalogued = { fileName: t.storePath, instanceId: instance.id, storeId: row.id, storeName: row.name, path: store.storePathFor(instance.path) };
    this.log.info({ transfer: t.id, file: t.storePath, store: row.name, instance: done.instanceId }, 'transfer committed');
    return done;
  }

  /**
   * A verified copy of a file we already catalogue, sent because our copies are damaged (a
   * repair): it replaces the damaged copy on this store (moved aside only now, after the new
   * copy was verified), or becomes a new instance here; the file keeps its row.
   */
  private async commitRepair(
    t: Prisma.IncomingTransferGetPayload<object>,
    file: Prisma.FileGetPayload<{ include: { instances: true } }>,
    deletionPolicy: DeletionPolicyName,
    opts: Progress,
  ): Promise<Catalogued> {
    const { location, store, row } = await this.incoming.staging(t);
    const checksum = declaredChecksum(t);
    if (!sameChecksum(file.checksum, checksum)) {
      throw conflict(`"${t.storePath}" is already catalogued here with checksum ${file.checksum}, not ${checksum}.`, 'Search for the existing file.');
    }
    const target = file.instances[0];
    const damaged = target ? (await this.findings.openFor(target.id)).filter((f) => f.kind === 'LOST' || f.kind === 'CORRUPT') : [];
    const now = new Date();
    const verified = { calculatedChecksum: checksum, calculatedSize: t.transferSize, checksumTime: now };
    if (target && target.available && damaged.length === 0) {
      // Repaired meanwhile (from another copy): this one is not needed.
      await this.db.$transaction(async (tx: Prisma.TransactionClient) => this.incoming.completed(tx, t.id));
    } else {
      const final = store.storePathFor(target ? target.path : t.storePath);
      await this.intoStore(t, row.name, final, async () => {
        await store.assertInside(store.storeRoot, final);
        await this.placement.replace(store, location, final, checksum, opts);
      });
      await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
        if (target) await tx.instance.update({ where: { id: target.id }, data: { available: true, ...verified } });
        else await tx.instance.create({ data: { path: safeRelativePath(t.storePath), fileName: t.storePath, storeId: row.id, deletionPolicy, createdTime: now, ...verified } });
        await this.incoming.completed(tx, t.id);
      });
      if (target) {
        await this.findings.resolveInstance(target.id, ['LOST', 'CORRUPT'], `replaced by a verified copy from ${t.source}`);
        for (const f of damaged) await this.findings.setRepair(f.id, `repaired from ${t.source} (incoming transfer ${t.id})`);
      }
    }
    await this.incoming.removeStaging(t);
    const done = await this.catalogued(t.id);
    this.log.info({ transfer: t.id, file: t.storePath, store: row.name, instance: done.instanceId, replaced: !!target }, 'repair copy committed');
    return done;
  }

  /**
   * Moving a transfer's data into its store. A filesystem error that asking again cannot mend
   * (read-only, permissions, a name too long, a file in the way, a full disk) fails the step at
   * once with its status, saying where; others (EIO, a stale mount) are retried by the step's
   * bounded retry policy.
   */
  private async intoStore(t: { id: number }, storeName: string, final: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (e) {
      const permanent = permanentFsError(e, `Transfer ${t.id} cannot be stored at ${final} in store "${storeName}"`);
      if (!permanent) throw e;
      // A read-only filesystem is the whole store: it is failing, as its health check would find
      // (disabled, operators alerted), so the next uploads go elsewhere at once.
      if (errnoCode(e) === 'EROFS') {
        await this.stores.recordHealth(storeName, `the store is read-only (${(e as Error).message})`).catch((err: unknown) => {
          this.log.warn({ store: storeName, err: (err as Error).message }, 'could not record the store as failing');
        });
      }
      throw permanent;
    }
  }

  /** Where a COMPLETED transfer's data was catalogued. */
  async catalogued(transferId: number): Promise<Catalogued> {
    const t = await this.incoming.get(transferId);
    const { row, store } = await this.incoming.storeOf(t);
    const inst = await this.db.instance.findUniqueOrThrow({ where: { fileName_storeId: { fileName: t.storePath, storeId: row.id } } });
    return { fileName: t.storePath, instanceId: inst.id, storeId: row.id, storeName: row.name, path: store.storePathFor(inst.path) };
  }
}
