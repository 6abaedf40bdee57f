/**
 * The server side of the calls peers make about transfers between us (inventory §2.5, wire-v2
 * §2.8): clone/complete from a destination, and checkin/update and checkin/status, which name our
 * outgoing transfers (source_transfer_ids: the destination reports) and our incoming ones
 * (destination_transfer_ids: the source reports) in one call. Each transfer may be touched only
 * by the peer it concerns, or an admin.
 */
import { notFound, badRequest } from '../../shared/errors';
import { STATUS_VALUE, type TransferStatus } from '../../shared/transferStatus';
import type { checkin } from '../../protocol';
import type { AnswerOf } from '../../protocol/call';
import type { Db } from '../catalog/db';
import type { PeerRegistry } from '../peers/registry';
import type { OutgoingTransfer, OutgoingTransfers } from '../transfers/outgoing';
import type { Transition } from '../transfers/incoming';
import type { Principal } from '../users/users';
import type { CloneReceiver } from './receiver';

export interface CheckinUpdate {
  response: AnswerOf<typeof checkin.update>;
  /** Incoming transfers whose receive workflows must hear of the change. */
  incomingChanged: Transition[];
  /** Batches whose workflows must look at their items again. */
  batches: string[];
}

const values = (m: Record<number, TransferStatus | null>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v === null ? null : STATUS_VALUE[v]]));

export class CloneCallbacks {
  constructor(
    private readonly db: Db,
    private readonly peers: PeerRegistry,
    private readonly outgoing: OutgoingTransfers,
    private readonly receiver: CloneReceiver,
  ) {}

  /** An outgoing transfer as its destination's account (or an admin) may see it; others get null. */
  private async outgoingTo(principal: Principal, id: number): Promise<OutgoingTransfer | null> {
    const t = await this.db.outgoingTransfer.findUnique({ where: { id } });
    return t && (principal.level === 'ADMIN' || t.destination === principal.username) ? t : null;
  }

  /** clone/complete from the destination: the copy is verified and catalogued there. */
  async complete(principal: Principal, transferId: number, remoteStoreId: number): Promise<{ batchId: string | null; fileName: string }> {
    const t = await this.outgoingTo(principal, transferId);
    if (!t) throw notFound(`No outgoing transfer ${transferId} to "${principal.username}".`, 'Send the source_transfer_id this Librarian gave you.');
    const peer = await this.peers.row(t.destination);
    await this.outgoing.confirmed(t.id, peer.id, remoteStoreId, 'confirmed by the destination');
    await this.peers.heard(t.destination);
    return { batchId: t.batchId, fileName: t.fileName };
  }

  async checkinUpdate(principal: Principal, req: { sourceIds: number[]; destinationIds: number[]; to: TransferStatus; reason?: string }): Promise<CheckinUpdate> {
    if (req.to === 'COMPLETED') throw badRequest('COMPLETED cannot be set with checkin/update.', 'The destination confirms a copy with clone/complete.');
    const incoming = await this.receiver.updateIncoming(principal, req.destinationIds, req.to);
    const modified: number[] = [];
    const unmodified: number[] = [];
    const reasons: string[] = [];
    const batches = new Set<string>();
    for (const id of req.sourceIds) {
      const t = await this.outgoingTo(principal, id);
      if (!t) {
        unmodified.push(id);
        reasons.push(`Outgoing transfer ${id}: not found.`);
        continue;
      }
      try {
        await this.outgoing.reported(t, req.to, req.reason);
      } catch (e) {
        unmodified.push(id);
        reasons.push((e as Error).message);
        continue;
      }
      modified.push(id);
      if (t.batchId && t.status !== req.to) batches.add(t.batchId);
    }
    return {
      response: {
        modified_source_transfer_ids: modified,
        modified_destination_transfer_ids: incoming.modified,
        unmodified_source_transfer_ids: unmodified,
        unmodified_destination_transfer_ids: incoming.unmodified,
        reasons: [...reasons, ...incoming.reasons],
        destination_transfer_status: values(incoming.statuses),
      },
      incomingChanged: incoming.changed,
      batches: [...batches],
    };
  }

  async checkinStatus(principal: Principal, req: { sourceIds: number[]; destinationIds: number[] }): Promise<AnswerOf<typeof checkin.status>> {
    const out: Record<number, TransferStatus | null> = {};
    for (const id of req.sourceIds) out[id] = (await this.outgoingTo(principal, id))?.status ?? null;
    const inc = await this.receiver.statusOfIncoming(principal, req.destinationIds);
    return {
      source_transfer_status: values(out),
      destination_transfer_status: Object.fromEntries(Object.entries(inc).map(([k, v]) => [k, v ? STATUS_VALUE[v.status] : null])),
      destination_transfer_store_ids: Object.fromEntries(Object.entries(inc).map(([k, v]) => [k, v?.status === 'COMPLETED' ? v.storeId : null])),
      destination_transfer_reasons: Object.fromEntries(Object.entries(inc).map(([k, v]) => [k, v && (v.status === 'FAILED' || v.status === 'CANCELLED') ? v.failureReason : null])),
    };
  }
}
