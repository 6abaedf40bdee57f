import { Flags } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes, formatTime } from '../../format';

export default class CloneStatus extends ClientCommand {
  static override summary = 'Clone batches in flight: phase, what each waits for, next retry; and per peer, the files waiting and why (admin).';
  static override flags = { ...connectionFlag, peer: Flags.string({ description: 'Only this peer.' }) };

  async run() {
    const { flags } = await this.parse(CloneStatus);
    const { client } = this.connect(flags.connection);
    const s = await client.call(peers.cloneStatus, flags.peer ? { peer: flags.peer } : {});
    this.table(
      ['PEER', 'SENDING', 'BATCHES', 'FILES WAITING', 'WAITING FOR'],
      s.peers.map((p) => [p.name, p.enabled ? 'enabled' : 'PAUSED', `${p.in_flight_batches}/${p.max_batches}`, p.waiting_files, p.waiting_reason ?? '']),
    );
    this.log('');
    this.table(
      ['BATCH', 'PHASE', 'METHOD', 'FILES', 'BYTES', 'STARTED', 'WAITING FOR', 'NEXT RETRY'],
      s.batches.map((b) => [b.workflow_id, b.phase ?? '', b.method ?? '', b.files ?? '', b.bytes === null ? '' : formatBytes(b.bytes), formatTime(b.started), b.waiting_for, formatTime(b.next_retry)]),
    );
    return s;
  }
}
