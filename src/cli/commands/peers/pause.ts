import { Args } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';

export default class PeersPause extends ClientCommand {
  static override summary = 'Pause sending to a peer: no new batches, and batches in flight hold before their next step (admin).';
  static override args = { name: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(PeersPause);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.transferStatusChange, { librarian_name: args.name, transfers_enabled: false });
    this.log(`Sending to "${args.name}" paused${r.batches_signalled === undefined ? '' : `; ${r.batches_signalled} batches in flight held`}.`);
    return { name: args.name, transfers_enabled: false, batches_signalled: r.batches_signalled };
  }
}
