import { Flags } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes, formatTime } from '../../format';

export default class CloneHistory extends ClientCommand {
  static override summary = 'Finished clone batches, newest first: bytes, files, duration and bandwidth of each, and totals per peer and method (admin).';
  static override flags = {
    ...connectionFlag,
    peer: Flags.string({ description: 'Only this peer.' }),
    method: Flags.string({ options: ['globus', 'local'], description: 'Only this transfer method.' }),
    limit: Flags.integer({ default: 100, min: 1, max: 10_000, description: 'At most this many batches.' }),
  };

  async run() {
    const { flags } = await this.parse(CloneHistory);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.cloneHistory, { peer: flags.peer, method: flags.method as 'globus' | 'local' | undefined, limit: flags.limit });
    const rate = (bytes: number, seconds: number) => `${formatBytes(seconds > 0 ? bytes / seconds : 0)}/s`;
    this.table(
      ['ENDED', 'PEER', 'METHOD', 'FILES', 'BYTES', 'SECONDS', 'RATE', 'BATCH'],
      r.records.map((x) => [formatTime(x.ended), x.peer, x.method, x.files, formatBytes(x.bytes), x.seconds.toFixed(1), rate(x.bytes, x.seconds), x.batch_id]),
    );
    if (r.records.length === 0) this.log('No finished clone batches recorded.');
    else {
      this.log('');
      this.table(
        ['PEER', 'METHOD', 'BATCHES', 'FILES', 'BYTES', 'AVERAGE RATE'],
        r.totals.map((t) => [t.peer, t.method, t.batches, t.files, formatBytes(t.bytes), rate(t.bytes, t.seconds)]),
      );
    }
    return r;
  }
}
