import { Args } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';

export default class PeersResume extends ClientCommand {
  static override summary = 'Resume sending to a peer: held batches continue and new ones are scheduled (admin).';
  static override args = { name: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(PeersResume);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.transferStatusChange, { librarian_name: args.name, transfers_enabled: true });
    this.log(`Sending to "${args.name}" resumed${r.batches_signalled === undefined ? '' : `; ${r.batches_signalled} batches in flight released`}.`);
    return { name: args.name, transfers_enabled: true, batches_signalled: r.batches_signalled };
  }
}
