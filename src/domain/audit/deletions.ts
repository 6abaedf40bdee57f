/**
 * Deleting local copies safely: by a rolling-deletion policy (config rollingDeletion), or one
 * instance by an operator. Everything is checked at the moment of deletion, cheapest first: the
 * instance is still here and in use, its deletion policy allows it, the file is old enough, no
 * transfer is reading it, and at least `minCopies` distinct other Librarians answer now that their
 * copy matches, verified within `verifiedWithin` (a staler answer makes them hash again). It is
 * never the last copy known anywhere. Each deletion is recorded with its evidence; the instance
 * row stays (unavailable), so the file is not taken back by a later clone.
 */
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { formatDuration } from '../../shared/durations';
import { conflict, notFound } from '../../shared/errors';
import { ACTIVE_STATUSES } from '../../shared/transferStatus';
import type { Db, Prisma } from '../catalog/db';
import { removeTree } from '../stores/files';
import type { StoreService } from '../stores/stores';
import type { Findings } from './findings';
import type { CopyEvidence, RemoteCopies } from './remoteCopies';

export type RollingPolicy = Config['rollingDeletion'][number];

export interface DeletionGuard {
  minCopies: number;
  verifiedWithinMs: number;
  /** Only files older than this (rolling deletion). */
  olderThanMs?: number;
  /** Only instances on this store (rolling deletion). */
  store?: string;
}

export interface DeletionDecision {
  instanceId: number;
  fileName: string | null;
  store: string | null;
  action: 'deleted' | 'would-delete' | 'kept';
  /** Why it was kept (empty when deleted). */
  reasons: string[];
  evidence: CopyEvidence[];
}

export class Deletions {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly remoteCopies: RemoteCopies,
    private readonly findings: Findings,
    private readonly log: Logger,
  ) {}

  policy(name: string): RollingPolicy {
    const p = this.config.rollingDeletion.find((r) => r.name === name);
    if (!p) {
      const known = this.config.rollingDeletion.map((r) => r.name);
      throw notFound(`No rolling deletion policy named "${name}".`, known.length ? `Configured policies: ${known.join(', ')}.` : 'Define one under rollingDeletion in the configuration.');
    }
    return p;
  }

  static guardOf(p: RollingPolicy): DeletionGuard {
    return { minCopies: p.minCopies, verifiedWithinMs: p.verifiedWithin, olderThanMs: p.olderThan, store: p.store };
  }

  /** The policy's candidates after `afterId`, in id order: in use on its store, file older than olderThan. */
  async candidates(name: string, afterId: number, limit: number): Promise<number[]> {
    const p = this.policy(name);
    const store = await this.stores.row(p.store);
    const rows = await this.db.instance.findMany({
      where: { storeId: store.id, available: true, id: { gt: afterId }, file: { createTime: { lt: new Date(Date.now() - p.olderThan) } } },
      select: { id: true },
      orderBy: { id: 'asc' },
      take: limit,
    });
    return rows.map((r) => r.id);
  }

  /** The instance of a file on a store (or its only instance), for an operator's deletion. */
  async instanceOf(fileName: string, store?: string): Promise<number> {
    const rows = await this.db.instance.findMany({ where: { fileName, ...(store ? { store: { name: store } } : {}) }, include: { store: true } });
    if (rows.length === 0) throw notFound(`No copy of "${fileName}"${store ? ` on store "${store}"` : ''} here.`, 'Check the name with "librarian search".');
    if (rows.length > 1) throw conflict(`"${fileName}" has copies on several stores (${rows.map((r) => r.store.name).join(', ')}).`, 'Say which one with --store.');
    return rows[0]!.id;
  }

  /**
   * Decides, and unless `dryRun` deletes. `force` (an admin's decision) skips the policy, age and
   * peer checks, but never deletes the last copy known anywhere.
   */
  async decide(instanceId: number, guard: DeletionGuard, opts: { dryRun: boolean; by: string; force?: boolean }): Promise<DeletionDecision> {
    const inst = await this.db.instance.findUnique({ where: { id: instanceId }, include: { file: true, store: true } });
    const out = (action: DeletionDecision['action'], reasons: string[], evidence: CopyEvidence[] = []): DeletionDecision => ({
      instanceId,
      fileName: inst?.fileName ?? null,
      store: inst?.store.name ?? null,
      action,
      reasons,
      evidence,
    });
    if (!inst) return out('kept', ['the instance no longer exists']);
    if (guard.store && inst.store.name !== guard.store) return out('kept', [`it is on store "${inst.store.name}", not "${guard.store}"`]);
    if (!inst.available) return out('kept', ['it is not in use here (already deleted, damaged or away)']);
    const reasons: string[] = [];
    const lastCopy = await this.isLastCopy(inst.fileName, inst.id);
    if (lastCopy) reasons.push('it is the only copy known anywhere');
    if (!opts.force) {
      if (inst.deletionPolicy !== 'ALLOWED') reasons.push('its deletion policy is DISALLOWED');
      if (guard.olderThanMs !== undefined && inst.file.createTime.getTime() > Date.now() - guard.olderThanMs) reasons.push(`the file is younger than ${formatDuration(guard.olderThanMs)}`);
      reasons.push(...(await this.readers(inst.id)));
    }
    if (reasons.length) return out('kept', reasons);
    let evidence: CopyEvidence[] = [];
    if (!opts.force) {
      evidence = await this.evidence(inst.fileName, inst.file.checksum, guard.verifiedWithinMs);
      const fresh = evidence.filter((e) => this.fresh(e, guard.verifiedWithinMs));
      if (fresh.length < guard.minCopies) {
        const others = evidence.filter((e) => !fresh.includes(e)).map((e) => `${e.librarian}: ${e.problem ?? `verified ${e.verifiedAt ?? 'never'}`}`);
        reasons.push(
          `${fresh.length} other Librarian${fresh.length === 1 ? '' : 's'} verified a matching copy within ${formatDuration(guard.verifiedWithinMs)}${fresh.length ? ` (${fresh.map((e) => e.librarian).join(', ')})` : ''}, ${guard.minCopies} required${others.length ? `; ${others.join('; ')}` : ''}`,
        );
        return out('kept', reasons, evidence);
      }
    }
    if (opts.dryRun) return out('would-delete', [], evidence);
    return this.delete(inst, evidence, guard, opts.by, opts.force ?? false);
  }

  /** Copies that keep this one from being the last: other local ones in use, or any at other Librarians. */
  private async isLastCopy(fileName: string, instanceId: number): Promise<boolean> {
    const [local, remote] = await Promise.all([
      this.db.instance.count({ where: { fileName, available: true, id: { not: instanceId } } }),
      this.db.remoteInstance.count({ where: { fileName } }),
    ]);
    return local + remote === 0;
  }

  /** Transfers reading the instance now. */
  private async readers(instanceId: number): Promise<string[]> {
    const [out, local] = await Promise.all([
      this.db.outgoingTransfer.findMany({ where: { instanceId, status: { in: ACTIVE_STATUSES } }, select: { destination: true }, distinct: ['destination'] }),
      this.db.cloneTransfer.count({ where: { sourceInstanceId: instanceId, status: { in: ACTIVE_STATUSES } } }),
    ]);
    return [...out.map((t) => `it is being sent to ${t.destination}`), ...(local ? ['it is being copied to another store'] : [])];
  }

  /** Verified within the window (by its clock), or hashed because we just asked (whatever its clock says). */
  private fresh(e: CopyEvidence, withinMs: number): boolean {
    return e.matches && (e.hashedOnRequest === true || (e.verifiedAt !== null && Date.now() - new Date(e.verifiedAt).getTime() <= withinMs));
  }

  /** Each holder's answer; one whose verification is too old is asked to hash again. */
  private async evidence(fileName: string, checksum: string, withinMs: number): Promise<CopyEvidence[]> {
    const out: CopyEvidence[] = [];
    for (const peer of await this.remoteCopies.holders(fileName)) {
      let e = await this.remoteCopies.evidenceFrom(peer, fileName, checksum, false);
      if (e.matches && !this.fresh(e, withinMs)) e = await this.remoteCopies.evidenceFrom(peer, fileName, checksum, true);
      out.push(e);
    }
    return out;
  }

  private async delete(inst: Prisma.InstanceGetPayload<{ include: { file: true; store: true } }>, evidence: CopyEvidence[], guard: DeletionGuard, by: string, forced: boolean): Promise<DeletionDecision> {
    const store = this.stores.local(inst.store);
    const abs = store.storePathFor(inst.path);
    await store.assertInside(store.storeRoot, abs);
    // The catalog first: a crash before the data is removed leaves dark data (reported by audits),
    // never an instance whose data is gone (which would be repaired right back).
    const done = await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
      const r = await tx.instance.updateMany({ where: { id: inst.id, available: true }, data: { available: false } });
      if (r.count === 0) return false;
      await tx.deletion.create({
        data: {
          fileName: inst.fileName,
          storeId: inst.storeId,
          instanceId: inst.id,
          path: inst.path,
          by,
          evidence: { copies: evidence, minCopies: guard.minCopies, verifiedWithinMs: guard.verifiedWithinMs, olderThanMs: guard.olderThanMs ?? null, forced } as unknown as Prisma.InputJsonValue,
        },
      });
      return true;
    });
    if (!done) return { instanceId: inst.id, fileName: inst.fileName, store: inst.store.name, action: 'kept', reasons: ['it was deleted meanwhile'], evidence };
    await removeTree(abs);
    await this.findings.resolveInstance(inst.id, ['LOST', 'CORRUPT'], `deleted by ${by}`);
    this.log.info({ instance: inst.id, file: inst.fileName, store: inst.store.name, by, copies: evidence.filter((e) => e.matches).map((e) => `${e.librarian}@${e.verifiedAt}`) }, 'instance deleted');
    return { instanceId: inst.id, fileName: inst.fileName, store: inst.store.name, action: 'deleted', reasons: [], evidence };
  }

  /**
   * v2 admin/instance/delete_local: an admin removes one local instance. With `deleteFile` its
   * data is deleted (the row stays, unavailable); without, only the row goes and the data stays
   * on disk uncatalogued (audits report it as dark; "librarian import" takes it back). Unlike v2,
   * never the last copy known anywhere, and recorded like every deletion.
   */
  async deleteLocalV2(instanceId: number, deleteFile: boolean, by: string): Promise<void> {
    const inst = await this.db.instance.findUnique({ where: { id: instanceId }, include: { file: true, store: true } });
    if (!inst) throw notFound(`Instance does not exist: no instance has id ${instanceId}.`, 'List a file\'s instances with search/file.');
    if (await this.isLastCopy(inst.fileName, inst.id)) {
      throw conflict(`Instance ${instanceId} holds the only copy of "${inst.fileName}" known anywhere; it is not deleted.`, 'Copy the file elsewhere first (another store or a peer).');
    }
    if (deleteFile) {
      if (!inst.available) return;
      const d = await this.delete(inst, [], { minCopies: 0, verifiedWithinMs: 0 }, by, true);
      if (d.action !== 'deleted') throw conflict(`Instance ${instanceId} was deleted meanwhile.`, 'Nothing to do.');
      return;
    }
    await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
      await tx.deletion.create({ data: { fileName: inst.fileName, storeId: inst.storeId, instanceId: inst.id, path: inst.path, by, evidence: { forced: true, dataKept: true } } });
      await tx.instance.delete({ where: { id: inst.id } });
    });
    await this.findings.resolveInstance(inst.id, ['LOST', 'CORRUPT'], `instance removed by ${by}`);
    this.log.warn({ instance: inst.id, file: inst.fileName, store: inst.store.name, by }, 'instance row removed; its data stays on disk, uncatalogued');
  }

  /** Deletions recorded, newest first. */
  async history(q: { fileName?: string; limit?: number } = {}) {
    return this.db.deletion.findMany({ where: q.fileName ? { fileName: q.fileName } : {}, orderBy: { id: 'desc' }, take: q.limit ?? 1000 });
  }
}
