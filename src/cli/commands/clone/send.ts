import { Args } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';

export default class CloneSend extends ClientCommand {
  static override summary = "Run a peer's sending step now, as its Schedule would (admin).";
  static override args = { peer: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(CloneSend);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.cloneSend, { peer: args.peer }, 3_600_000);
    this.log(r.waiting ? `Nothing started: waiting for ${r.waiting}.` : `Started ${r.batches_started} batches (${r.files} files) to "${args.peer}".`);
    return r;
  }
}
