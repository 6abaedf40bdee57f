import { Args } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';

export default class CloneCancel extends ClientCommand {
  static override summary = 'Cancel a clone batch in flight (admin): its Globus task stops, its unfinished files are failed and offered again in a later batch, and the destination is told.';
  static override args = { batch: Args.string({ required: true, description: 'The batch id (its workflow id, as librarian clone status lists it).' }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(CloneCancel);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.cloneCancel, { batch_id: args.batch });
    this.log(`Cancelled ${r.batch_id}${r.peer ? ` (to ${r.peer})` : ''}: ${r.files_failed} unfinished files failed; they will be offered again.`);
    return r;
  }
}
