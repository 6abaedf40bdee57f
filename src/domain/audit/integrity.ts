/**
 * Verifying an instance: is its data there, readable, and does it hash to the File's checksum?
 * The one routine behind `validate/file` and store audits. A good copy records when it was
 * verified (checksum_time) and resolves what was found wrong with it; a missing or unreadable one
 * is LOST, a differing one CORRUPT: recorded as a finding, and the instance is taken out of use
 * (unavailable) until it is repaired.
 */
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { parseChecksum, sameChecksum, type ChecksumPool, type HashOptions } from '../../shared/checksums';
import { notFound } from '../../shared/errors';
import type { Db, Prisma } from '../catalog/db';
import { dataSize, isUnreadable } from '../stores/files';
import type { StoreService } from '../stores/stores';
import type { Findings } from './findings';

export interface InstanceValidation {
  librarian: string;
  store: number;
  storeName: string;
  instanceId: number;
  path: string;
  originalChecksum: string;
  originalSize: number;
  currentChecksum: string | null;
  currentSize: number | null;
  computedSameChecksum: boolean;
  /** When the current checksum was computed (a cached value may be up to checksums.cacheLifetime old). */
  checksumTime: Date | null;
  cached: boolean;
  /** good, lost, corrupt; or unreachable: its store is not mounted (nothing is recorded then). */
  state: 'good' | 'lost' | 'corrupt' | 'unreachable';
  error?: string;
}

type InstanceRow = Prisma.InstanceGetPayload<{ include: { file: true; store: true } }>;


export class Integrity {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly checksums: ChecksumPool,
    private readonly findings: Findings,
    private readonly log: Logger,
  ) {}

  /**
   * The local copies of a file worth validating: the available ones, and the damaged ones (a
   * lost or corrupt copy is reported as such, and verified again in case it was restored).
   * Copies away for another reason (a drive in transit) are not.
   */
  async instancesOf(fileName: string): Promise<number[]> {
    const file = await this.db.file.findUnique({ where: { name: fileName }, include: { instances: { orderBy: { id: 'asc' } } } });
    if (!file) throw notFound(`No file named "${fileName}".`, 'Check the name with search/file.');
    const damaged = new Set(
      (await this.db.finding.findMany({ where: { fileName, kind: { in: ['LOST', 'CORRUPT'] }, resolvedAt: null }, select: { instanceId: true } })).map((f) => f.instanceId),
    );
    return file.instances.filter((i) => i.available || damaged.has(i.id)).map((i) => i.id);
  }

  /**
   * Verifies an instance. Unless `force`, a checksum verified within checksums.cacheLifetime is
   * trusted, but only while the data is still there with the verified size. `recount: false`
   * (a repair looking again) does not count damage already recorded as seen once more.
   */
  async check(instanceId: number, opts: Pick<HashOptions, 'onProgress' | 'signal' | 'pace'> & { force?: boolean; recount?: boolean } = {}): Promise<InstanceValidation> {
    const inst = await this.db.instance.findUnique({ where: { id: instanceId }, include: { file: true, store: true } });
    if (!inst) throw notFound(`No instance with id ${instanceId}.`, 'The instance was removed; validate the file again.');
    const store = this.stores.local(inst.store);
    const abs = store.storePathFor(inst.path);
    if (!(await store.available())) {
      const error = `store "${inst.store.name}" is not mounted (${store.storeRoot})`;
      return { ...this.base(inst, abs), currentChecksum: null, currentSize: null, computedSameChecksum: false, checksumTime: null, cached: false, state: 'unreachable', error };
    }
    const fresh = inst.checksumTime && Date.now() - inst.checksumTime.getTime() < this.config.checksums.cacheLifetime;
    // A damaged copy (unavailable) is always hashed again: only that can show it is good again.
    if (fresh && !opts.force && inst.available && inst.calculatedChecksum && inst.calculatedSize !== null) {
      const found = await dataSize(abs).then(
        (size) => ({ size }),
        (e: unknown) => (isUnreadable(e) ? { error: e } : Promise.reject(e)),
      );
      if ('error' in found) return this.lost(inst, abs, found.error, opts.recount);
      const size = found.size;
      if (BigInt(size) === inst.calculatedSize) {
        return this.result(inst, abs, { currentChecksum: inst.calculatedChecksum, currentSize: size, checksumTime: inst.checksumTime, cached: true });
      }
      // The size changed since it was verified: not the data that was verified; hash it again.
    }
    let hashed;
    try {
      hashed = await this.checksums.hashPath(abs, parseChecksum(inst.file.checksum).algorithm, opts);
    } catch (e) {
      if (isUnreadable(e)) return this.lost(inst, abs, e, opts.recount);
      throw e;
    }
    const now = new Date();
    await this.db.instance.update({ where: { id: inst.id }, data: { calculatedChecksum: hashed.checksum, calculatedSize: BigInt(hashed.size), checksumTime: now } });
    const r = this.result(inst, abs, { currentChecksum: hashed.checksum, currentSize: hashed.size, checksumTime: now, cached: false });
    if (r.state === 'corrupt') {
      await this.damaged(inst, 'CORRUPT', `hashes to ${hashed.checksum} (${hashed.size} bytes), not ${inst.file.checksum} (${inst.file.size} bytes)`, opts.recount);
    } else if ((await this.findings.openFor(inst.id)).some((f) => f.kind === 'LOST' || f.kind === 'CORRUPT')) {
      // Back in use before its findings close: whoever lists the file's copies in between sees it
      // either damaged or available, never neither.
      if (!inst.available) await this.db.instance.update({ where: { id: inst.id }, data: { available: true } });
      await this.findings.resolveInstance(inst.id, ['LOST', 'CORRUPT'], 'verified good');
    }
    return r;
  }

  private result(inst: InstanceRow, abs: string, current: { currentChecksum: string; currentSize: number; checksumTime: Date | null; cached: boolean }): InstanceValidation {
    const same = sameChecksum(current.currentChecksum, inst.file.checksum) && current.currentSize === Number(inst.file.size);
    return { ...this.base(inst, abs), ...current, computedSameChecksum: same, state: same ? 'good' : 'corrupt' };
  }

  private base(inst: InstanceRow, abs: string) {
    return {
      librarian: this.config.name,
      store: inst.storeId,
      storeName: inst.store.name,
      instanceId: inst.id,
      path: abs,
      originalChecksum: inst.file.checksum,
      originalSize: Number(inst.file.size),
    };
  }

  /** Records a copy found missing or unreadable by someone reading it (a transfer, say). */
  async recordLost(instanceId: number, e: NodeJS.ErrnoException): Promise<string> {
    const inst = await this.db.instance.findUniqueOrThrow({ where: { id: instanceId }, include: { file: true, store: true } });
    const abs = this.stores.local(inst.store).storePathFor(inst.path);
    return (await this.lost(inst, abs, e)).error!;
  }

  private async lost(inst: InstanceRow, abs: string, e: NodeJS.ErrnoException, recount = true): Promise<InstanceValidation> {
    const error = e.code === 'ENOENT' ? `the data is missing from ${abs}` : `the data at ${abs} cannot be read (${e.code}: ${e.message})`;
    await this.damaged(inst, 'LOST', error, recount);
    return { ...this.base(inst, abs), currentChecksum: null, currentSize: null, computedSameChecksum: false, checksumTime: null, cached: false, state: 'lost', error };
  }

  /** Records what is wrong and takes the instance out of use until it is repaired. */
  private async damaged(inst: InstanceRow, kind: 'LOST' | 'CORRUPT', detail: string, recount = true): Promise<void> {
    await this.db.instance.update({ where: { id: inst.id }, data: { available: false } });
    if (!recount && (await this.findings.openFor(inst.id)).some((f) => f.kind === kind)) return;
    this.log.error({ instance: inst.id, file: inst.fileName, store: inst.store.name, kind, detail }, 'instance is damaged');
    await this.findings.record({ kind, storeId: inst.storeId, storeName: inst.store.name, path: inst.path, fileName: inst.fileName, instanceId: inst.id, detail });
  }
}
