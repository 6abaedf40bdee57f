import { mkdir } from 'node:fs/promises';
import type { StoreConfig } from '../../config';
import { localStoreSettingsSchema, transferMethodsSchema, type TransferMethods } from '../../config/stores';
import type { Logger } from '../../logger';
import { notFound, tooLarge } from '../../shared/errors';
import type { Db } from '../catalog/db';
import type { NotificationService } from '../notifications';
import { LocalStore } from './localStore';

export interface StoreRow {
  id: number;
  name: string;
  storeType: string;
  ingestable: boolean;
  enabled: boolean;
  healthProblem: string | null;
  storeData: unknown;
  transferMethods: unknown;
}

export interface StoreView {
  id: number;
  name: string;
  storeType: string;
  ingestable: boolean;
  enabled: boolean;
  available: boolean;
  /** Bytes that may still be written; -1 when the store is not mounted. */
  freeSpace: number;
  /** Why the last health check found the store failing; null when it passed (or has not run). */
  healthProblem: string | null;
}

export interface StoreHealth extends StoreView {
  writable: boolean;
  full: boolean;
  problem?: string;
}

export class StoreService {
  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly notifications: NotificationService,
  ) {}

  /** Parses a row's typed JSON into a usable store. */
  local(row: Pick<StoreRow, 'name' | 'storeData'>): LocalStore {
    return new LocalStore(row.name, localStoreSettingsSchema.parse(row.storeData));
  }

  transferMethods(row: StoreRow): TransferMethods {
    return transferMethodsSchema.parse(row.transferMethods);
  }

  /**
   * Makes the catalog's stores match the configuration. New stores take `enabled` from the
   * configuration; existing ones keep the operator's runtime toggle. Creates missing roots.
   */
  async sync(stores: StoreConfig[], createDirectories = true): Promise<{ created: string[]; updated: string[]; unconfigured: string[] }> {
    const created: string[] = [];
    const updated: string[] = [];
    for (const s of stores) {
      if (createDirectories) {
        await mkdir(s.stagingPath, { recursive: true });
        await mkdir(s.storePath, { recursive: true });
      }
      const storeData = localStoreSettingsSchema.parse(s);
      const transferMethods = transferMethodsSchema.parse(s.transferMethods);
      const existing = await this.db.store.findUnique({ where: { name: s.name } });
      if (existing) {
        await this.db.store.update({ where: { name: s.name }, data: { storeType: s.type, ingestable: s.ingestable, storeData, transferMethods } });
        updated.push(s.name);
      } else {
        await this.db.store.create({ data: { name: s.name, storeType: s.type, ingestable: s.ingestable, enabled: s.enabled, storeData, transferMethods } });
        created.push(s.name);
      }
    }
    const configured = new Set(stores.map((s) => s.name));
    const unconfigured = (await this.db.store.findMany({ select: { name: true } })).map((r) => r.name).filter((n) => !configured.has(n));
    for (const n of unconfigured) this.log.warn({ store: n }, 'store is in the catalog but not in the configuration; it is kept as it is');
    return { created, updated, unconfigured };
  }

  async rows(): Promise<StoreRow[]> {
    return this.db.store.findMany({ orderBy: { id: 'asc' } });
  }

  async names(): Promise<string[]> {
    return (await this.rows()).map((r) => r.name);
  }

  async row(name: string): Promise<StoreRow> {
    const row = await this.db.store.findUnique({ where: { name } });
    if (!row) throw notFound(`Store "${name}" does not exist.`, 'List the stores with admin/stores/list (librarian stores list).');
    return row;
  }

  async rowById(id: number): Promise<StoreRow> {
    const row = await this.db.store.findUnique({ where: { id } });
    if (!row) throw notFound(`Store with id ${id} does not exist.`, 'List the stores with admin/stores/list (librarian stores list).');
    return row;
  }

  /** Files and bytes the catalog holds (available instances) on a store. */
  async contents(storeId: number): Promise<{ files: number; bytes: number }> {
    const [r] = await this.db.$queryRaw<{ files: bigint | number; bytes: bigint | number | null }[]>`
      SELECT COUNT(*) AS "files", COALESCE(SUM(f."size"), 0) AS "bytes" FROM "instances" i JOIN "files" f ON f."name" = i."file_name"
      WHERE i."store_id" = ${storeId} AND i."available" = true`;
    return { files: Number(r?.files ?? 0), bytes: Number(r?.bytes ?? 0) };
  }

  /**
   * Bytes that may still be written: the disk's free space under reportFullFraction, and under
   * capacityBytes when the store has one (a drive or a share of a disk); -1 when unmounted.
   */
  async free(row: StoreRow): Promise<number> {
    const store = this.local(row);
    const disk = await store.freeSpace();
    if (disk < 0 || store.settings.capacityBytes === undefined) return disk;
    return Math.max(Math.min(disk, store.settings.capacityBytes - (await this.contents(row.id)).bytes), 0);
  }

  /**
   * The first ingestable, enabled, mounted store with room for `size` bytes whose last health check
   * did not fail (uploads and clones); `prefer` (a repair's store, ingestable or not) first when it
   * is enabled, healthy and has room.
   */
  async pickForIngest(size: number, prefer?: number): Promise<{ row: StoreRow; store: LocalStore; free: number }> {
    const rows = await this.rows();
    const usable = (r: StoreRow) => r.enabled && r.healthProblem === null;
    const preferred = rows.find((r) => r.id === prefer && usable(r));
    if (preferred) {
      const free = await this.free(preferred);
      if (free > size) return { row: preferred, store: this.local(preferred), free };
    }
    for (const row of rows) {
      if (!row.ingestable || !usable(row)) continue;
      const free = await this.free(row);
      if (free > size) return { row, store: this.local(row), free };
    }
    throw tooLarge(`No store has room for ${size} bytes.`, 'Try again after space is freed or another store is enabled; operators can check with "librarian stores list".');
  }

  async describe(row: StoreRow): Promise<StoreView> {
    const store = this.local(row);
    const [available, freeSpace] = await Promise.all([store.available(), this.free(row)]);
    return { id: row.id, name: row.name, storeType: row.storeType, ingestable: row.ingestable, enabled: row.enabled, available, freeSpace, healthProblem: row.healthProblem };
  }

  async list(): Promise<StoreView[]> {
    return Promise.all((await this.rows()).map((r) => this.describe(r)));
  }

  /** An operator's (or a trip's) choice; enabling clears the problem a health check recorded (the next check looks again). */
  async setEnabled(name: string, enabled: boolean): Promise<StoreView> {
    const row = await this.row(name);
    const updated = await this.db.store.update({ where: { id: row.id }, data: enabled ? { enabled, healthProblem: null } : { enabled } });
    this.log.info({ store: name, enabled }, 'store state changed');
    return this.describe(updated);
  }

  /**
   * Records a health check's verdict: `problem` when the store is failing (not mounted, not
   * writable), null when it passed. A failing store is disabled, so no new data goes to it, and
   * operators are alerted once; it stays disabled until an operator enables it again. (A full
   * store is not failing: uploads pass it by while it has no room.)
   */
  async recordHealth(name: string, problem: string | null): Promise<{ enabled: boolean; healthProblem: string | null }> {
    const row = await this.row(name);
    const healthCheckedAt = new Date();
    if (problem === null) {
      await this.db.store.update({ where: { id: row.id }, data: { healthProblem: null, healthCheckedAt } });
      if (row.healthProblem !== null) this.log.info({ store: name }, 'store passes its health check again');
      return { enabled: row.enabled, healthProblem: null };
    }
    // Only the check that disables the store alerts (checks may run side by side).
    const disabled = await this.db.store.updateMany({ where: { id: row.id, enabled: true }, data: { enabled: false, healthProblem: problem, healthCheckedAt } });
    if (disabled.count === 0) {
      await this.db.store.update({ where: { id: row.id }, data: { healthProblem: problem, healthCheckedAt } });
      return { enabled: false, healthProblem: problem };
    }
    await this.notifications.alert(
      'error',
      `Store "${name}" failed its health check and was disabled: ${problem}. No new data goes to it until an operator fixes it and enables it again ("librarian stores enable ${name}").`,
      { store: name, problem },
      { category: 'data_availability', caller: 'store-health' },
    );
    return { enabled: false, healthProblem: problem };
  }

  async health(name: string): Promise<StoreHealth> {
    const row = await this.row(name);
    const view = await this.describe(row);
    if (!view.available) {
      const problem = 'staging or store directory is missing (is the disk mounted?)';
      this.log.warn({ store: name, problem }, 'store is unhealthy');
      return { ...view, writable: false, full: false, problem };
    }
    const { writable, error } = await this.local(row).probeWritable();
    const full = view.freeSpace === 0;
    const problem = error ?? (full ? 'store reports full' : undefined);
    if (problem) this.log.warn({ store: name, problem }, 'store is unhealthy');
    if (full) {
      await this.notifications.alert('warn', `Store "${name}" is full: uploads and clones pass it by until there is room (free space, or add a store).`, { store: name }, {
        category: 'store_full',
        caller: 'store-health',
        key: `store-full:${name}`,
      });
    }
    return { ...view, writable, full, problem };
  }
}
