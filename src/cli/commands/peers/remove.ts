import { Args, Flags } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';

export default class PeersRemove extends ClientCommand {
  static override summary = 'Remove a peer Librarian (admin): sending to it stops, its clone batches in flight are cancelled, and its unfinished transfers are failed.';
  static override args = { name: Args.string({ required: true }) };
  static override flags = {
    ...connectionFlag,
    'forget-copies': Flags.boolean({ description: 'Also remove the records of copies confirmed there (needed when there are any).' }),
  };

  async run() {
    const { args, flags } = await this.parse(PeersRemove);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.remove, {
      librarian_name: args.name,
      remove_outgoing_transfers: true,
      remove_remote_instances: flags['forget-copies'],
    });
    const batches = r.batches_cancelled === undefined ? '' : `${r.batches_cancelled} batches in flight cancelled, `;
    this.log(`Removed peer "${args.name}"; ${batches}${r.number_of_transfers_removed} unfinished transfers failed.`);
    return { name: args.name, ...r };
  }
}
