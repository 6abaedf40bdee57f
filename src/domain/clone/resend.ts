/**
 * The upstream half of a repair (v2 corrupt/prepare and corrupt/resend): a peer whose copy of a
 * file is damaged asks us for ours. We check who asks (its account is named after it, no admin
 * bypass), verify our own copy, check that we can reach it, and send the file through the normal
 * clone path as a one-file batch. Unlike v2, an answer we cannot give is a 409 with a top-level
 * reason (v2 answered 500 for a file it lacks, and put errors in an object `detail`).
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { conflict, unauthorized } from '../../shared/errors';
import { workflowIds } from '../../shared/workflowIds';
import type { Db } from '../catalog/db';
import type { Integrity } from '../audit/integrity';
import type { PeerRegistry } from '../peers/registry';
import type { OutgoingTransfers } from '../transfers/outgoing';
import type { Principal } from '../users/users';
import type { BatchStaged, CloneSender } from './sender';

/** Batch ids of repair resends carry this, so a repeated request finds the one in flight. */
const MARK = '/repair-';

export interface ResendStarted {
  batchId: string;
  /** What the peer staged, for the batch's workflow (absent when it is already running). */
  staged?: BatchStaged;
  destinationTransferId: number;
  /** A batch already in flight for this request (its workflow is running). */
  again: boolean;
}

export class CorruptResend {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly peers: PeerRegistry,
    private readonly integrity: Integrity,
    private readonly outgoing: OutgoingTransfers,
    private readonly sender: CloneSender,
    private readonly log: Logger,
  ) {}

  /**
   * Checks shared by both calls; returns our good instance. `force` hashes our copy again
   * (prepare); resend, right after, may use that fresh verification.
   */
  private async check(principal: Principal, peer: string, fileName: string, force: boolean): Promise<{ instanceId: number }> {
    const who = 'Only the Librarian that holds the damaged copy may ask, through its own account (named after it).';
    if (principal.username !== peer) throw unauthorized(`Account "${principal.username}" cannot ask for repairs on behalf of "${peer}".`, who);
    if (!(await this.db.librarian.findUnique({ where: { name: peer } }))) throw unauthorized(`"${peer}" is not a peer of this Librarian.`, `${who} Add it as a peer here first.`);
    const file = await this.db.file.findUnique({ where: { name: fileName }, include: { instances: { where: { available: true }, orderBy: { id: 'asc' } } } });
    const noCopy = { no_copy: true };
    if (!file || file.instances.length === 0) {
      throw conflict(`We do not have a copy of the file you are requesting ("${fileName}").`, 'Ask another Librarian that holds it.', noCopy);
    }
    let good: number | undefined;
    for (const i of file.instances) {
      const v = await this.integrity.check(i.id, { force });
      if (v.state === 'good') {
        good = i.id;
        break;
      }
    }
    if (good === undefined) {
      throw conflict(`Our copy of the file is also corrupt ("${fileName}").`, 'Wait a while, we will attempt to fix this copy; or ask another Librarian that holds it.', noCopy);
    }
    const ping = await this.peers.pingPeer(peer);
    if (!ping.ok || !(await this.peers.transfersEnabled(peer))) {
      throw conflict(
        `We are not able to send you files: ${ping.ok ? `transfers to "${peer}" are paused here` : `we cannot log in to "${peer}" (${ping.error})`}.`,
        'Check every pre-condition for file transfers is met (our credentials for you, transfers enabled), then ask again.',
      );
    }
    return { instanceId: good };
  }

  async prepare(principal: Principal, peer: string, fileName: string): Promise<{ ready: true }> {
    await this.check(principal, peer, fileName, true);
    return { ready: true };
  }

  /**
   * Records a one-file batch to the peer and stages it there now (so its new transfer id can be
   * returned); the caller starts the batch's workflow, which sends and confirms it. Our record of
   * the peer's damaged copy is dropped. A repeated request returns the batch in flight.
   */
  async resend(principal: Principal, peer: string, fileName: string): Promise<ResendStarted> {
    const { instanceId } = await this.check(principal, peer, fileName, false);
    const inFlight = await this.outgoing.inFlightOf(fileName, peer, MARK);
    if (inFlight?.batchId && inFlight.remoteTransferId !== null) return { batchId: inFlight.batchId, destinationTransferId: inFlight.remoteTransferId, again: true };
    const batchId = inFlight?.batchId ?? workflowIds(this.config.name).cloneBatch(peer, `${MARK.slice(1)}${randomUUID()}`, 0);
    if (!inFlight) {
      const file = await this.db.file.findUniqueOrThrow({ where: { name: fileName } });
      await this.outgoing.record(this.db, [{ destination: peer, fileName, size: file.size, checksum: file.checksum, instanceId, batchId }], 'INITIATED');
    }
    const staged = await this.sender.stageBatch(batchId);
    const item = staged.staged[0];
    if (!item) {
      const [t] = await this.outgoing.batch(batchId);
      throw conflict(`"${peer}" did not take the file: ${t?.status === 'COMPLETED' ? 'it reports a good copy already' : (t?.failureReason ?? 'no reason given')}.`, 'Validate your copy again; if it is still damaged, ask again.');
    }
    const p = await this.peers.row(peer);
    await this.outgoing.forgetRemoteCopies(fileName, p.id);
    this.log.info({ peer, file: fileName, batch: batchId, destinationTransfer: item.remoteId }, 'repair copy staged at the peer');
    return { batchId, staged, destinationTransferId: item.remoteId, again: false };
  }
}
