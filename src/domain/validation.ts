import type { Config } from '../config';
import type { Logger } from '../logger';
import { parseChecksum, sameChecksum, type ChecksumPool, type HashOptions } from '../shared/checksums';
import { notFound } from '../shared/errors';
import type { Db } from './catalog/db';
import type { StoreService } from './stores/stores';

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
  error?: string;
}

export class ValidationService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly checksums: ChecksumPool,
    private readonly log: Logger,
  ) {}

  async instancesOf(fileName: string): Promise<number[]> {
    const file = await this.db.file.findUnique({ where: { name: fileName }, include: { instances: { where: { available: true }, orderBy: { id: 'asc' } } } });
    if (!file) throw notFound(`No file named "${fileName}".`, 'Check the name with search/file.');
    return file.instances.map((i) => i.id);
  }

  /**
   * Recomputes an instance's checksum unless a verified one is younger than the cache lifetime,
   * records it, and keeps the corrupt-files table in step with the verdict.
   */
  async validateInstance(instanceId: number, opts: Pick<HashOptions, 'onProgress' | 'signal'> & { force?: boolean } = {}): Promise<InstanceValidation> {
    const inst = await this.db.instance.findUnique({ where: { id: instanceId }, include: { file: true, store: true } });
    if (!inst) throw notFound(`No instance with id ${instanceId}.`, 'The instance was removed; validate the file again.');
    const abs = this.stores.local(inst.store).storePathFor(inst.path);
    const base = {
      librarian: this.config.name,
      store: inst.storeId,
      storeName: inst.store.name,
      instanceId: inst.id,
      path: abs,
      originalChecksum: inst.file.checksum,
      originalSize: Number(inst.file.size),
    };
    const fresh = inst.checksumTime && Date.now() - inst.checksumTime.getTime() < this.config.checksums.cacheLifetime;
    if (fresh && !opts.force && inst.calculatedChecksum && inst.calculatedSize !== null) {
      return {
        ...base,
        currentChecksum: inst.calculatedChecksum,
        currentSize: Number(inst.calculatedSize),
        computedSameChecksum: sameChecksum(inst.calculatedChecksum, inst.file.checksum) && inst.calculatedSize === inst.file.size,
        checksumTime: inst.checksumTime,
        cached: true,
      };
    }
    let result;
    try {
      result = await this.checksums.hashPath(abs, parseChecksum(inst.file.checksum).algorithm, opts);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const error = code === 'ENOENT' ? `the data is missing from ${abs}` : (e as Error).message;
      this.log.error({ instance: inst.id, file: inst.fileName, error }, 'instance cannot be validated');
      return { ...base, currentChecksum: null, currentSize: null, computedSameChecksum: false, checksumTime: null, cached: false, error };
    }
    const same = sameChecksum(result.checksum, inst.file.checksum) && result.size === Number(inst.file.size);
    const now = new Date();
    await this.db.instance.update({ where: { id: inst.id }, data: { calculatedChecksum: result.checksum, calculatedSize: BigInt(result.size), checksumTime: now } });
    if (same) {
      await this.db.corruptFile.deleteMany({ where: { instanceId: inst.id } });
    } else {
      this.log.error({ instance: inst.id, file: inst.fileName, expected: inst.file.checksum, got: result.checksum }, 'instance is corrupt');
      await this.db.corruptFile.upsert({
        where: { instanceId: inst.id },
        create: { fileName: inst.fileName, fileSource: inst.file.source, instanceId: inst.id, instancePath: abs, size: BigInt(result.size), checksum: result.checksum },
        update: { count: { increment: 1 }, size: BigInt(result.size), checksum: result.checksum, corruptTime: now },
      });
    }
    return { ...base, currentChecksum: result.checksum, currentSize: result.size, computedSameChecksum: same, checksumTime: now, cached: false };
  }
}
