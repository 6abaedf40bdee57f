/**
 * Why a file is (not yet) at a peer, from the catalog alone: its copies here, the copies peers
 * confirmed, every transfer of it to each peer, and the planner's rules that hold it back. The
 * flows layer adds what Temporal knows of the batch carrying it.
 */
import type { Config } from '../../config';
import { cloneSettingsFor } from '../../config';
import { formatDuration } from '../../shared/durations';
import { ACTIVE_STATUSES } from '../../shared/transferStatus';
import { notFound } from '../../shared/errors';
import type { Db } from '../catalog/db';
import type { ClonePlanner } from './planner';

export interface FileExplained {
  file: { name: string; size: number; checksum: string; uploader: string; source: string; createTime: Date; catalogTime: Date };
  instances: { store: string; path: string; available: boolean; deletionPolicy: string; verifiedAt: Date | null; verifiedSame: boolean | null }[];
  peers: PeerExplained[];
}

export interface PeerExplained {
  peer: string;
  /** The peer confirmed a copy (a RemoteInstance), and when. */
  confirmedAt: Date | null;
  sendingEnabled: boolean;
  transfers: { id: number; status: string; method: string | null; batchId: string | null; startTime: Date; endTime: Date | null; failureReason: string | null }[];
  /** The batch or drive trip carrying it now (a transfer in flight), if any. */
  carriedBy: string | null;
  /** Why it is not there yet, or null when it is. */
  why: string | null;
}

export class CloneExplainer {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly planner: ClonePlanner,
  ) {}

  async explain(name: string, peer?: string): Promise<FileExplained> {
    const file = await this.db.file.findUnique({
      where: { name },
      include: { instances: { include: { store: true }, orderBy: { id: 'asc' } }, remoteInstances: { include: { librarian: true } } },
    });
    if (!file) throw notFound(`No file named "${name}" in this Librarian's catalog.`, 'Check the name (librarian search --name-prefix ...); a file that was never uploaded or received here cannot be sent.');
    const peers = await this.db.librarian.findMany({ where: peer ? { name: peer } : {}, orderBy: { name: 'asc' } });
    if (peer && peers.length === 0) throw notFound(`No peer named "${peer}".`, 'See the peers with "librarian peers list".');
    const transfers = await this.db.outgoingTransfer.findMany({ where: { fileName: name, ...(peer ? { destination: peer } : {}) }, orderBy: { id: 'desc' } });
    const available = file.instances.some((i) => i.available);

    const explained: PeerExplained[] = [];
    for (const p of peers) {
      const confirmed = file.remoteInstances.filter((r) => r.librarianId === p.id).sort((a, b) => b.copyTime.getTime() - a.copyTime.getTime())[0];
      const mine = transfers.filter((t) => t.destination === p.name);
      const active = mine.find((t) => (ACTIVE_STATUSES as string[]).includes(t.status));
      const why = confirmed
        ? null
        : !p.sending && !active
          ? `not sent: we only receive from ${p.name} (added with --no-send)`
          : await this.whyNot(p.name, p.transfersEnabled, file.createTime, available, active?.batchId ?? null, mine[0]);
      explained.push({
        peer: p.name,
        confirmedAt: confirmed?.copyTime ?? null,
        sendingEnabled: p.transfersEnabled,
        transfers: mine.map((t) => ({ id: t.id, status: t.status, method: t.transferMethod, batchId: t.batchId, startTime: t.startTime, endTime: t.endTime, failureReason: t.failureReason })),
        carriedBy: active?.batchId ?? null,
        why,
      });
    }
    return {
      file: { name: file.name, size: Number(file.size), checksum: file.checksum, uploader: file.uploader, source: file.source, createTime: file.createTime, catalogTime: file.catalogTime },
      instances: file.instances.map((i) => ({
        store: i.store.name,
        path: i.path,
        available: i.available,
        deletionPolicy: i.deletionPolicy,
        verifiedAt: i.checksumTime,
        verifiedSame: i.calculatedChecksum === null ? null : i.calculatedChecksum === file.checksum && i.calculatedSize === file.size,
      })),
      peers: explained,
    };
  }

  /** The planner's rules in the order it applies them (see ClonePlanner's candidate filter). */
  private async whyNot(
    peer: string,
    enabled: boolean,
    created: Date,
    available: boolean,
    carriedBy: string | null,
    last: { status: string; failureReason: string | null; endTime: Date | null } | undefined,
  ): Promise<string> {
    if (carriedBy) return `on its way in ${carriedBy} (see that batch's phase and what it waits for)`;
    if (!available) return 'not sent: no copy here is available to send (the data has left this site, e.g. shipped on a drive or rolled off)';
    const s = cloneSettingsFor(this.config, peer);
    if (s.maxAgeDays && created.getTime() < Date.now() - s.maxAgeDays * 86_400_000) {
      return `not sent: older than the ${s.maxAgeDays} days clone.maxAgeDays allows for ${peer} (created ${created.toISOString()})`;
    }
    const before = last && last.status !== 'COMPLETED' ? ` (its last transfer ${last.status}${last.failureReason ? `: ${last.failureReason}` : ''})` : '';
    if (!enabled) return `waiting: sending to ${peer} is paused (librarian peers resume ${peer})${before}`;
    const cap = await this.planner.capacity(peer);
    if (cap.reason) return `waiting: ${cap.reason}; it goes in a later batch${before}`;
    const when = s.every > 0 ? `the next scheduled send to ${peer} (every ${formatDuration(s.every)})` : `a send to ${peer} (clone.every is 0: only on demand)`;
    return `waiting for ${when}, or now with librarian clone send ${peer}${before}`;
  }
}
