import { Args, Flags } from '@oclif/core';
import { peers } from '../../../protocol';
import { ClientCommand, connectionFlag } from '../../base';

export default class PeersRemove extends ClientCommand {
  static override summary = 'Remove a peer Librarian (admin).';
  static override args = { name: Args.string({ required: true }) };
  static override flags = {
    ...connectionFlag,
    'fail-transfers': Flags.boolean({ description: 'Fail its unfinished outgoing transfers (finished ones are kept).' }),
    'forget-copies': Flags.boolean({ description: 'Also remove the records of copies confirmed there (needed when there are any).' }),
  };

  async run() {
    const { args, flags } = await this.parse(PeersRemove);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.remove, {
      librarian_name: args.name,
      remove_outgoing_transfers: flags['fail-transfers'],
      remove_remote_instances: flags['forget-copies'],
    });
    this.log(`Removed peer "${args.name}"; ${r.number_of_transfers_removed} unfinished transfers failed.`);
    return { name: args.name, ...r };
  }
}
