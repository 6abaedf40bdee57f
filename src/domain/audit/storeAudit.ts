/**
 * Auditing one store: re-hash the instances whose last verification is older than
 * audit.reverifyAfter, oldest first, and look for dark data (under the store root, described by no
 * instance). Work is handed out in chunks of bytes so the auditStore workflow can pace it; the
 * due set is queried again for each chunk, so an audit cut short by a crash resumes where it
 * stopped (what was verified is no longer due).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger';
import type { HashOptions } from '../../shared/checksums';
import { ACTIVE_STATUSES } from '../../shared/transferStatus';
import type { Db, Prisma } from '../catalog/db';
import { dataSize } from '../stores/files';
import type { StoreService } from '../stores/stores';
import type { Findings } from './findings';
import type { Integrity } from './integrity';

export interface AuditPlan {
  store: string;
  /** False when the store's disk is not mounted: nothing is audited (and nothing recorded as lost). */
  mounted: boolean;
  instances: number;
  bytes: number;
}

export interface AuditChunk {
  checked: number;
  bytes: number;
  good: number;
  lost: number;
  corrupt: number;
  /** More instances are due. */
  more: boolean;
  /** How long the hashing took (the workflow paces the audit to audit.bytesPerSecond). */
  elapsedMs: number;
  mounted: boolean;
}

/** Names in a store root that are ours and transient (copies being verified, probes). */
const OURS = /^\.librarian-/;

export class StoreAudit {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
    private readonly integrity: Integrity,
    private readonly findings: Findings,
    private readonly log: Logger,
  ) {}

  /**
   * Due: available, and never verified or verified before `cutoff`. An audit fixes its cutoff when
   * it starts, so what it verifies (now) is not due again within it.
   */
  private due(storeId: number, cutoff: Date): Prisma.InstanceWhereInput {
    return { storeId, available: true, OR: [{ checksumTime: null }, { checksumTime: { lt: cutoff } }] };
  }

  async plan(storeName: string, cutoff: Date): Promise<AuditPlan> {
    const row = await this.stores.row(storeName);
    const mounted = await this.stores.local(row).available();
    const [r] = await this.db.$queryRaw<{ n: bigint | number; bytes: bigint | number | null }[]>`
      SELECT COUNT(*) AS "n", COALESCE(SUM(f."size"), 0) AS "bytes" FROM "instances" i JOIN "files" f ON f."name" = i."file_name"
      WHERE i."store_id" = ${row.id} AND i."available" = true AND (i."checksum_time" IS NULL OR i."checksum_time" < ${cutoff})`;
    return { store: storeName, mounted, instances: Number(r?.n ?? 0), bytes: Number(r?.bytes ?? 0) };
  }

  /**
   * Verifies due instances, oldest verification first, until about `maxBytes` were hashed (at
   * least one instance), reading no faster than `bytesPerSecond` on average from the start.
   */
  async chunk(storeName: string, cutoff: Date, maxBytes: number, bytesPerSecond?: number, opts: Pick<HashOptions, 'onProgress' | 'signal'> = {}): Promise<AuditChunk> {
    const row = await this.stores.row(storeName);
    const started = Date.now();
    const out: AuditChunk = { checked: 0, bytes: 0, good: 0, lost: 0, corrupt: 0, more: false, elapsedMs: 0, mounted: true };
    for (;;) {
      if (!(await this.stores.local(row).available())) {
        // The disk went away: stop without taking its data for lost.
        out.mounted = false;
        break;
      }
      const next = await this.db.instance.findFirst({
        where: this.due(row.id, cutoff),
        orderBy: [{ checksumTime: { sort: 'asc', nulls: 'first' } }, { id: 'asc' }],
        include: { file: { select: { size: true } } },
      });
      if (!next) break;
      if (out.checked > 0 && out.bytes + Number(next.file.size) > maxBytes) {
        out.more = true;
        break;
      }
      if (opts.signal?.aborted) throw new Error('audit cancelled');
      const done = out.bytes;
      const pace = bytesPerSecond ? { bytesPerSecond, sinceMs: started, bytesBefore: done } : undefined;
      const r = await this.integrity.check(next.id, { force: true, pace, signal: opts.signal, onProgress: (d) => opts.onProgress?.(done + d, maxBytes) });
      out.checked++;
      out.bytes += Number(next.file.size);
      if (r.state === 'good') out.good++;
      else if (r.state === 'lost') out.lost++;
      else if (r.state === 'corrupt') out.corrupt++;
      else {
        out.mounted = false;
        break;
      }
      opts.onProgress?.(out.bytes, maxBytes);
    }
    out.elapsedMs = Date.now() - started;
    return out;
  }

  /**
   * Finds data under the store root that no instance (nor a transfer arriving there) describes,
   * records each top-most such path once as DARK, and resolves dark findings no longer seen.
   */
  async scanDark(storeName: string, opts: { signal?: AbortSignal; onProgress?: (entries: number) => void } = {}): Promise<{ mounted: boolean; dark: string[] }> {
    const row = await this.stores.row(storeName);
    const store = this.stores.local(row);
    if (!(await store.available())) return { mounted: false, dark: [] };
    const known = new Set<string>();
    const ancestors = new Set<string>();
    const add = (p: string) => {
      known.add(p);
      for (let d = path.posix.dirname(p); d !== '.' && d !== '/'; d = path.posix.dirname(d)) ancestors.add(d);
    };
    for (const i of await this.db.instance.findMany({ where: { storeId: row.id }, select: { path: true } })) add(i.path);
    // Data being committed or copied there right now is not dark.
    for (const t of await this.db.incomingTransfer.findMany({ where: { storeId: row.id, status: { in: ACTIVE_STATUSES } }, select: { storePath: true } })) add(t.storePath);
    for (const c of await this.db.cloneTransfer.findMany({ where: { destinationStoreId: row.id, status: { in: ACTIVE_STATUSES } }, select: { fileName: true } })) add(c.fileName);
    const root = store.storeRoot;
    const staging = path.resolve(store.stagingRoot);
    const dark: { path: string; bytes: number }[] = [];
    let entries = 0;
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const e of await fs.readdir(dir, { withFileTypes: true })) {
        if (opts.signal?.aborted) throw new Error('audit cancelled');
        if (OURS.test(e.name)) continue;
        const abs = path.join(dir, e.name);
        if (path.resolve(abs) === staging) continue;
        const r = rel ? `${rel}/${e.name}` : e.name;
        if ((++entries & 1023) === 0) opts.onProgress?.(entries);
        if (known.has(r)) continue;
        if (e.isDirectory() && ancestors.has(r)) await walk(abs, r);
        else dark.push({ path: r, bytes: await dataSize(abs) });
      }
    };
    await walk(root, '');
    for (const d of dark) {
      await this.findings.record({ kind: 'DARK', storeId: row.id, storeName, path: d.path, detail: `${d.bytes} bytes under ${path.join(root, d.path)} that no file of the catalog describes` });
    }
    await this.findings.resolveDark(row.id, new Set(dark.map((d) => d.path)), 'no longer dark (catalogued or removed)');
    if (dark.length) this.log.warn({ store: storeName, dark: dark.length }, 'dark data found');
    return { mounted: true, dark: dark.map((d) => d.path) };
  }
}
