/**
 * The one owner of findings: lost, corrupt and dark data on a store. Each is recorded once per
 * kind, store and path (seen again: counted; seen again after it was resolved: reopened), alerts
 * the operators when it is new, and is resolved when the data is good again or gone.
 */
import type { Logger } from '../../logger';
import type { Db, Prisma } from '../catalog/db';
import type { NotificationService } from '../notifications';

export type FindingKind = 'LOST' | 'CORRUPT' | 'DARK';
export type Finding = Prisma.FindingGetPayload<object>;

export interface NewFinding {
  kind: FindingKind;
  storeId: number;
  storeName: string;
  /** Relative to the store root. */
  path: string;
  fileName?: string;
  instanceId?: number;
  detail: string;
}

const ALERT: Record<FindingKind, string> = {
  LOST: 'is lost (missing or unreadable)',
  CORRUPT: 'is corrupt',
  DARK: 'holds data no instance describes (dark)',
};

export class Findings {
  constructor(
    private readonly db: Db,
    private readonly notifications: NotificationService,
    private readonly log: Logger,
  ) {}

  /** Records a finding; returns it, and whether it is new (then the operators were told). */
  async record(f: NewFinding): Promise<{ finding: Finding; isNew: boolean }> {
    const now = new Date();
    const key = { kind_storeId_path: { kind: f.kind, storeId: f.storeId, path: f.path } };
    const existing = await this.db.finding.findUnique({ where: key });
    const data = { fileName: f.fileName ?? null, instanceId: f.instanceId ?? null, detail: f.detail, lastSeen: now };
    let finding: Finding;
    let isNew = true;
    if (!existing) {
      finding = await this.db.finding.upsert({ where: key, create: { kind: f.kind, storeId: f.storeId, path: f.path, ...data, firstSeen: now }, update: { ...data, count: { increment: 1 } } });
    } else if (existing.resolvedAt === null) {
      finding = await this.db.finding.update({ where: { id: existing.id }, data: { ...data, count: { increment: 1 } } });
      isNew = false;
    } else {
      finding = await this.db.finding.update({ where: { id: existing.id }, data: { ...data, firstSeen: now, count: 1, resolvedAt: null, resolution: null, repair: null } });
    }
    if (isNew) {
      const what = f.fileName && f.kind !== 'DARK' ? `"${f.fileName}" on store "${f.storeName}"` : `Store "${f.storeName}" at ${f.path}`;
      await this.notifications.alert(f.kind === 'DARK' ? 'warn' : 'error', `${what} ${ALERT[f.kind]}: ${f.detail}`, { finding: finding.id, kind: f.kind, store: f.storeName, path: f.path }, {
        category: f.kind === 'CORRUPT' ? 'data_integrity' : 'data_availability',
        caller: 'audit',
      });
    }
    return { finding, isNew };
  }

  /** Resolves the open findings of these kinds about an instance (its data is good again, or gone). */
  async resolveInstance(instanceId: number, kinds: FindingKind[], resolution: string): Promise<number> {
    const r = await this.db.finding.updateMany({ where: { instanceId, kind: { in: kinds }, resolvedAt: null }, data: { resolvedAt: new Date(), resolution } });
    if (r.count) this.log.info({ instance: instanceId, kinds, resolution }, 'findings resolved');
    return r.count;
  }

  /** Resolves a store's open dark findings whose paths are not in `stillDark`. */
  async resolveDark(storeId: number, stillDark: Set<string>, resolution: string): Promise<number> {
    const open = await this.db.finding.findMany({ where: { storeId, kind: 'DARK', resolvedAt: null }, select: { id: true, path: true } });
    const gone = open.filter((f) => !stillDark.has(f.path)).map((f) => f.id);
    if (gone.length === 0) return 0;
    const r = await this.db.finding.updateMany({ where: { id: { in: gone } }, data: { resolvedAt: new Date(), resolution } });
    return r.count;
  }

  /** Resolves the open finding of this kind at a path of a store (dark data that was imported). */
  async resolvePath(storeId: number, path: string, kind: FindingKind, resolution: string): Promise<number> {
    const r = await this.db.finding.updateMany({ where: { storeId, path, kind, resolvedAt: null }, data: { resolvedAt: new Date(), resolution } });
    return r.count;
  }

  async openFor(instanceId: number): Promise<Finding[]> {
    return this.db.finding.findMany({ where: { instanceId, resolvedAt: null }, orderBy: { id: 'asc' } });
  }

  async setRepair(id: number, repair: string): Promise<void> {
    await this.db.finding.update({ where: { id }, data: { repair } });
  }

  /** Findings, newest first: open ones unless `resolved` is asked for too. */
  async list(q: { kind?: FindingKind; store?: string; includeResolved?: boolean; limit?: number } = {}) {
    return this.db.finding.findMany({
      where: {
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.store ? { store: { name: q.store } } : {}),
        ...(q.includeResolved ? {} : { resolvedAt: null }),
      },
      include: { store: { select: { name: true } } },
      orderBy: [{ lastSeen: 'desc' }, { id: 'desc' }],
      take: q.limit ?? 1000,
    });
  }
}
