/**
 * Copies between this Librarian's stores (inventory §3.2): backup disks and SneakerNet drives
 * are filled from a source store, each copy verified before it is catalogued as an Instance.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { parseChecksum, sameChecksum, type ChecksumPool } from '../shared/checksums';
import { notFound } from '../shared/errors';
import type { Db, Prisma } from './catalog/db';
import type { Progress } from './ingest';
import type { NotificationService } from './notifications';
import { exists, removeTree } from './stores/files';
import type { Placement } from './stores/placement';
import type { StoreRow, StoreService } from './stores/stores';
import type { LocalCopies } from './transfers/localCopies';

export type LocalCloneSettings = Config['localClones'][number];

export interface CloneOneResult {
  status: 'copied' | 'present' | 'failed' | 'no-room';
  store?: string;
  reason?: string;
  /** Destination stores found full (and disabled, when configured) on the way. */
  filled: string[];
}

export class LocalCloneService {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly placement: Placement,
    private readonly copies: LocalCopies,
    private readonly checksums: ChecksumPool,
    private readonly notifications: NotificationService,
    private readonly log: Logger,
  ) {}

  settings(name: string): LocalCloneSettings {
    const s = this.config.localClones.find((c) => c.name === name);
    if (!s) throw notFound(`No local clone named "${name}" in the configuration.`, 'Define it under localClones.');
    return s;
  }

  /** Instances on the source store whose file is on none of the destinations, newest (or oldest) first. */
  async plan(name: string): Promise<number[]> {
    const s = this.settings(name);
    const from = await this.stores.row(s.from);
    const to = await Promise.all(s.to.map((n) => this.stores.row(n)));
    const peer = s.unlessAt ? await this.db.librarian.findUnique({ where: { name: s.unlessAt } }) : null;
    const rows = await this.db.instance.findMany({
      where: {
        storeId: from.id,
        available: true,
        file: {
          instances: { none: { storeId: { in: to.map((t) => t.id) } } },
          ...(peer ? { remoteInstances: { none: { librarianId: peer.id } } } : {}),
          ...(s.maxAgeDays ? { createTime: { gte: new Date(Date.now() - s.maxAgeDays * 86_400_000) } } : {}),
        },
      },
      orderBy: [{ file: { createTime: s.order === 'newest' ? 'desc' : 'asc' } }, { id: 'asc' }],
      take: s.filesPerRun,
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /** Copies one instance to the first destination with room; verifies before cataloguing. Idempotent. */
  async cloneOne(name: string, instanceId: number, opts: Progress = {}): Promise<CloneOneResult> {
    const s = this.settings(name);
    const src = await this.db.instance.findUnique({ where: { id: instanceId }, include: { file: true, store: true } });
    if (!src || !src.available) return { status: 'failed', reason: `source instance ${instanceId} is gone`, filled: [] };
    const size = Number(src.file.size);
    const filled: string[] = [];
    let dest: StoreRow | undefined;
    for (const n of s.to) {
      const row = await this.stores.row(n);
      const present = await this.db.instance.findUnique({ where: { fileName_storeId: { fileName: src.fileName, storeId: row.id } } });
      if (present) return { status: 'present', store: n, filled };
      if (!row.enabled) continue;
      const free = await this.stores.free(row);
      if (free > size) {
        dest = row;
        break;
      }
      if (free >= 0) {
        filled.push(n);
        if (s.disableStoreOnFull) await this.stores.setEnabled(n, false);
      }
    }
    if (!dest) return { status: 'no-room', reason: `no destination of "${name}" has room for ${size} bytes`, filled };

    const ct = await this.copies.open(src, dest.id);
    const store = this.stores.local(dest);
    const stagingDir = path.join(store.stagingRoot, `clone-${ct.id}`);
    const staged = path.join(stagingDir, path.posix.basename(src.fileName));
    const final = store.storePathFor(src.fileName);
    const source = this.stores.local(src.store).storePathFor(src.path);
    try {
      if (!(await exists(final))) {
        await removeTree(stagingDir);
        await fs.mkdir(stagingDir, { recursive: true });
        await this.copies.ongoing(ct.id);
        await fs.cp(source, staged, { recursive: true, preserveTimestamps: true });
        const copy = await this.checksums.hashPath(staged, parseChecksum(src.file.checksum).algorithm, opts);
        if (!sameChecksum(copy.checksum, src.file.checksum) || copy.size !== size) {
          const reason = `the copy of ${src.fileName} on ${dest.name} hashes to ${copy.checksum} (${copy.size} bytes), not ${src.file.checksum}`;
          await this.copies.failed(ct.id, reason);
          await removeTree(stagingDir);
          this.log.error({ file: src.fileName, store: dest.name }, reason);
          return { status: 'failed', store: dest.name, reason, filled };
        }
        await this.copies.staged(ct.id);
      }
      await this.placement.place(store, staged, final, src.file.checksum, opts);
      const now = new Date();
      await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
        const inst = await tx.instance.create({
          data: { path: src.fileName, fileName: src.fileName, storeId: dest!.id, deletionPolicy: src.deletionPolicy, createdTime: now, calculatedChecksum: src.file.checksum, calculatedSize: src.file.size, checksumTime: now },
        });
        await this.copies.completed(tx, ct.id, inst.id);
      });
    } finally {
      await removeTree(stagingDir);
    }
    return { status: 'copied', store: dest.name, filled };
  }

  /** A destination store filled up: the operators are told. */
  async reportFull(store: string): Promise<void> {
    const row = await this.stores.row(store);
    const { files, bytes } = await this.stores.contents(row.id);
    await this.notifications.alert(
      'warn',
      `Store "${store}" is full (${files} files, ${bytes} bytes) and no longer filled.${row.ingestable ? '' : ` If it is a SneakerNet drive: librarian sneakernet manifest --store ${store} --destination <peer> --output manifest.json`}`,
      { store },
      { category: 'store_full', caller: 'local-clone' },
    );
  }
}
