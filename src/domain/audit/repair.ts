/**
 * Repairing a damaged (lost or corrupt) instance, the steps the repairInstance workflow takes:
 *
 *   plan        verify it again (it may have been restored); find the good copies: our other
 *               stores first, then the peers that hold one (the file's source first);
 *   fromLocal   copy another store's copy next to the damaged one, verify the copy, and only
 *               then put it in place of the damaged data;
 *   askPeer     the v2 protocol: corrupt/prepare (the peer verifies its own copy) and
 *               corrupt/resend (it sends the file through its normal clone path; our receiver
 *               accepts it for the damaged file and puts it in place once verified).
 *
 * What happened is written on the instance's findings (the `repair` column), which is what
 * `librarian repair status` shows.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { parseChecksum, sameChecksum, type ChecksumPool, type HashOptions } from '../../shared/checksums';
import type { Db } from '../catalog/db';
import type { NotificationService } from '../notifications';
import { RepairRefused } from '../peers/peerClient';
import type { PeerRegistry } from '../peers/registry';
import { isUnreadable, removeTree } from '../stores/files';
import type { Placement } from '../stores/placement';
import type { StoreService } from '../stores/stores';
import type { Findings } from './findings';
import type { Integrity } from './integrity';

export type Progress = Pick<HashOptions, 'onProgress' | 'signal'>;

export type RepairPlan =
  /** Verified good (again): nothing to repair. */
  | { state: 'good'; fileName: string }
  /** The instance no longer exists (deleted meanwhile). */
  | { state: 'gone' }
  /** Its store's disk is not mounted: it cannot be verified or repaired now. */
  | { state: 'unreachable'; fileName: string; reason: string }
  | { state: 'damaged'; fileName: string; kind: 'lost' | 'corrupt'; detail: string; localSources: number[]; peers: string[] };

export type PeerAnswer =
  | { outcome: 'accepted'; transferId: number }
  /** It has no good copy (none, or its own is damaged too). */
  | { outcome: 'no-copy'; reason: string }
  /** It will not send to us now (its account here, transfers paused, ...). */
  | { outcome: 'refused'; reason: string };

export interface RepairView {
  instanceId: number | null;
  fileName: string | null;
  store: string;
  path: string;
  kind: string;
  detail: string;
  firstSeen: Date;
  repair: string | null;
}

export class Repairs {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly stores: StoreService,
    private readonly integrity: Integrity,
    private readonly findings: Findings,
    private readonly peers: PeerRegistry,
    private readonly placement: Placement,
    private readonly checksums: ChecksumPool,
    private readonly notifications: NotificationService,
    private readonly log: Logger,
  ) {}

  /** The damaged instances of a file (ids), for `librarian repair run NAME`. */
  async damagedInstancesOf(fileName: string): Promise<number[]> {
    const ids = await this.integrity.instancesOf(fileName);
    const open = await this.db.finding.findMany({ where: { instanceId: { in: ids }, kind: { in: ['LOST', 'CORRUPT'] }, resolvedAt: null }, select: { instanceId: true } });
    return [...new Set(open.map((f) => f.instanceId!))];
  }

  /** Damaged instances whose repair was never attempted (started by whoever found them). */
  async awaitingRepair(): Promise<number[]> {
    const open = await this.db.finding.findMany({ where: { kind: { in: ['LOST', 'CORRUPT'] }, resolvedAt: null, repair: null, instanceId: { not: null } }, select: { instanceId: true }, orderBy: { id: 'asc' } });
    return [...new Set(open.map((f) => f.instanceId!))];
  }

  async plan(instanceId: number, opts: Progress = {}): Promise<RepairPlan> {
    const inst = await this.db.instance.findUnique({ where: { id: instanceId }, include: { file: true } });
    if (!inst) return { state: 'gone' };
    const v = await this.integrity.check(instanceId, { ...opts, recount: false });
    if (v.state === 'good') return { state: 'good', fileName: inst.fileName };
    if (v.state === 'unreachable') return { state: 'unreachable', fileName: inst.fileName, reason: v.error ?? 'its store is not mounted' };
    const others = await this.db.instance.findMany({ where: { fileName: inst.fileName, available: true, id: { not: instanceId } }, include: { store: true }, orderBy: [{ checksumTime: { sort: 'desc', nulls: 'last' } }, { id: 'asc' }] });
    const localSources: number[] = [];
    for (const o of others) if (o.store.enabled && (await this.stores.local(o.store).available())) localSources.push(o.id);
    const holders = await this.db.remoteInstance.findMany({ where: { fileName: inst.fileName }, include: { librarian: true }, orderBy: { copyTime: 'asc' } });
    const peers = [...new Set(holders.map((h) => h.librarian.name))];
    // The file's source first: the copy every other one was made from.
    const source = await this.db.librarian.findUnique({ where: { name: inst.file.source } });
    if (source && source.name !== this.config.name) peers.splice(0, peers.length, source.name, ...peers.filter((p) => p !== source.name));
    return { state: 'damaged', fileName: inst.fileName, kind: v.state, detail: v.error ?? `hashes to ${v.currentChecksum}`, localSources, peers };
  }

  /**
   * Repairs from our copy on another store: the copy is made next to the damaged data and
   * verified before it replaces it. A source that turns out damaged itself is recorded as such.
   */
  async fromLocal(instanceId: number, sourceId: number, opts: Progress = {}): Promise<{ ok: true } | { ok: false; reason: string }> {
    const target = await this.db.instance.findUniqueOrThrow({ where: { id: instanceId }, include: { file: true, store: true } });
    const source = await this.db.instance.findUniqueOrThrow({ where: { id: sourceId }, include: { store: true } });
    const store = this.stores.local(target.store);
    const final = store.storePathFor(target.path);
    await store.assertInside(store.storeRoot, final);
    const from = this.stores.local(source.store).storePathFor(source.path);
    const tmp = path.join(path.dirname(final), `.librarian-repair-${path.basename(final)}`);
    await fs.mkdir(path.dirname(final), { recursive: true });
    await removeTree(tmp);
    try {
      await fs.cp(from, tmp, { recursive: true, preserveTimestamps: true });
    } catch (e) {
      await removeTree(tmp);
      if (!isUnreadable(e) || !(await fs.access(from).then(() => false, () => true))) throw e;
      return { ok: false, reason: `the copy on store "${source.store.name}" is lost too: ${await this.integrity.recordLost(sourceId, e)}` };
    }
    const copy = await this.checksums.hashPath(tmp, parseChecksum(target.file.checksum).algorithm, opts);
    if (!sameChecksum(copy.checksum, target.file.checksum) || copy.size !== Number(target.file.size)) {
      await removeTree(tmp);
      const again = await this.integrity.check(sourceId, { ...opts, force: true });
      return { ok: false, reason: `the copy from store "${source.store.name}" hashes to ${copy.checksum}${again.state === 'good' ? ' (the source verifies: the copy was damaged on the way)' : ` (that copy is ${again.state} too)`}` };
    }
    await this.placement.replace(store, tmp, final, target.file.checksum, opts);
    await this.db.instance.update({ where: { id: instanceId }, data: { available: true, calculatedChecksum: copy.checksum, calculatedSize: BigInt(copy.size), checksumTime: new Date() } });
    await this.findings.resolveInstance(instanceId, ['LOST', 'CORRUPT'], `replaced by a verified copy from store "${source.store.name}"`);
    await this.note(instanceId, `repaired from the copy on store "${source.store.name}"`, true);
    this.log.info({ instance: instanceId, file: target.fileName, from: source.store.name }, 'instance repaired from another store');
    return { ok: true };
  }

  /**
   * Asks a peer for a good copy: corrupt/prepare, then corrupt/resend. A "no" is an answer; only
   * a peer that cannot be reached throws (to be retried).
   */
  async askPeer(instanceId: number, peer: string): Promise<PeerAnswer> {
    const inst = await this.db.instance.findUniqueOrThrow({ where: { id: instanceId } });
    const client = await this.peers.client(peer);
    const req = { file_name: inst.fileName, librarian_name: this.config.name };
    try {
      const ready = await client.corruptPrepare(req);
      if (!ready.ready) return { outcome: 'refused', reason: `${peer} is not ready to send it` };
      const r = await client.corruptResend(req);
      await this.note(instanceId, `${peer} is sending a good copy (our incoming transfer ${r.destination_transfer_id})`);
      this.log.info({ instance: instanceId, file: inst.fileName, peer, transfer: r.destination_transfer_id }, 'repair copy requested');
      return { outcome: 'accepted', transferId: r.destination_transfer_id };
    } catch (e) {
      if (!(e instanceof RepairRefused)) throw e;
      return { outcome: e.noCopy ? 'no-copy' : 'refused', reason: `${peer}: ${e.reason}` };
    }
  }

  /** Writes where the repair stands on the instance's findings (open ones; or the latest, once resolved). */
  async note(instanceId: number, text: string, resolved = false): Promise<void> {
    const rows = await this.db.finding.findMany({ where: { instanceId, kind: { in: ['LOST', 'CORRUPT'] }, ...(resolved ? {} : { resolvedAt: null }) }, orderBy: { id: 'desc' }, take: resolved ? 1 : undefined });
    for (const f of rows) await this.findings.setRepair(f.id, text);
  }

  /** No good copy anywhere: said once, loudly; not retried until an operator asks again. */
  async unrecoverable(instanceId: number, reason: string): Promise<void> {
    const inst = await this.db.instance.findUnique({ where: { id: instanceId }, include: { store: true } });
    await this.note(instanceId, `unrecoverable: ${reason}`);
    await this.notifications.alert('error', `"${inst?.fileName ?? instanceId}" on store "${inst?.store.name ?? '?'}" cannot be repaired: ${reason}. Its data is damaged and no good copy was found; restore it by hand (e.g. "librarian import") and run "librarian repair run ${inst?.fileName ?? ''}".`, {
      instance: instanceId,
    }, { category: 'data_integrity', caller: 'repair' });
  }

  /** Peers could not send a good copy for too long: stop, and say so. */
  async gaveUp(instanceId: number, reason: string): Promise<void> {
    const inst = await this.db.instance.findUnique({ where: { id: instanceId } });
    await this.note(instanceId, reason);
    await this.notifications.alert('error', `The repair of "${inst?.fileName ?? instanceId}" (instance ${instanceId}) ${reason}. Fix what stops the peers, then run "librarian repair run ${inst?.fileName ?? ''}".`, { instance: instanceId }, { category: 'data_integrity', caller: 'repair' });
  }

  /** Damaged copies and where their repairs stand. */
  async status(): Promise<RepairView[]> {
    const open = await this.db.finding.findMany({ where: { kind: { in: ['LOST', 'CORRUPT'] }, resolvedAt: null }, include: { store: { select: { name: true } } }, orderBy: { id: 'asc' } });
    return open.map((f) => ({ instanceId: f.instanceId, fileName: f.fileName, store: f.store.name, path: f.path, kind: f.kind, detail: f.detail, firstSeen: f.firstSeen, repair: f.repair }));
  }
}
