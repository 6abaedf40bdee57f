import { Args } from '@oclif/core';
import * as repair from '../../../protocol/repair';
import { ClientCommand, connectionFlag } from '../../base';

export default class RepairRun extends ClientCommand {
  static override summary = "Repair a file's damaged copies now and wait for the outcome (admin).";
  static override description =
    'Each lost or corrupt copy of NAME is replaced by a verified good copy: from another store of this Librarian, else from a peer (which sends it through the normal clone path). A repair already running is joined. Copies not known to be damaged are left alone: run "librarian validate NAME --force" first to find out. Exits 1 when a copy could not be repaired.';
  static override args = { name: Args.string({ required: true, description: 'File name.' }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(RepairRun);
    const { client } = this.connect(flags.connection);
    // A repair from a peer waits for the copy to arrive: up to days through an outage.
    const r = await client.call(repair.run, { file_name: args.name }, 7 * 24 * 3600_000);
    if (r.repairs.length === 0) this.log(`No copy of "${args.name}" is known to be damaged.`);
    this.table(
      ['INSTANCE', 'OUTCOME', 'DETAIL'],
      r.repairs.map((x) => [x.instance_id, x.outcome, x.detail ?? '']),
    );
    if (r.repairs.some((x) => x.outcome === 'unrecoverable' || x.outcome === 'gave-up')) process.exitCode = 1;
    return r.repairs;
  }
}
