/**
 * Peer administration that reaches Temporal: a peer's sending Schedule follows the peer (added,
 * paused, resumed, removed), and pausing holds its batches in flight before their next step.
 */
import type { Domain } from '../domain';
import { conflict } from '../shared/errors';
import { pauseSignal } from '../workflows/cloneBatch';
import type { CloneFlow } from './clone';
import type { ScheduleFlow } from './schedules';
import type { TemporalAccess } from './temporal';

export class PeerFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
    private readonly schedules: ScheduleFlow,
    private readonly clone: CloneFlow,
  ) {}

  async add(req: { name: string; url: string; port: number; authenticator: string; checkConnection: boolean; sending?: boolean }): Promise<{ pingSuccess: boolean | null; sending: boolean }> {
    const r = await this.domain.peers.add(req);
    if (r.alreadyExists) {
      throw conflict(`Librarian "${req.name}" already exists.`, 'Remove it first to change its address or credentials.', { success: false, already_exists: true });
    }
    await this.schedules.ensurePeers();
    return { pingSuccess: r.ping ? r.ping.ok : null, sending: r.sending ?? true };
  }

  /**
   * Removes a peer after stopping the work towards it: sending is paused (no new batch starts),
   * each batch in flight is cancelled (its files failed, the peer told), then the rest of its
   * unfinished transfers are failed and the peer and its Schedule go.
   */
  async remove(name: string, opts: { removeRemoteInstances: boolean }): Promise<{ batchesCancelled: number; transfersFailed: number }> {
    await this.domain.peers.assertRemovable(name, opts);
    await this.domain.peers.setTransfersEnabled(name, false);
    await this.schedules.ensurePeers();
    const batches = await this.clone.runningBatches(await this.temporal.client(), name);
    let filesInBatches = 0;
    for (const b of batches) filesInBatches += (await this.clone.cancel(b.workflowId)).filesFailed;
    const r = await this.domain.peers.remove(name, opts);
    await this.schedules.ensurePeers();
    return { batchesCancelled: batches.length, transfersFailed: filesInBatches + r.transfersFailed };
  }

  /**
   * Pauses or resumes a peer: the flag in the catalog (new batches), the peer's Schedule, and
   * every batch in flight (held before its next step). Returns how many batches were told.
   */
  async setPaused(peer: string, paused: boolean): Promise<number> {
    await this.domain.peers.setTransfersEnabled(peer, !paused);
    await this.schedules.ensurePeers();
    const batches = await this.clone.runningBatches(await this.temporal.client(), peer);
    // A batch that finished since it was listed needs no signal.
    for (const b of batches) await this.temporal.signal(b.workflowId, pauseSignal, paused);
    return batches.length;
  }
}
