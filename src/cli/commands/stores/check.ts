import { Args } from '@oclif/core';
import * as stores from '../../../protocol/stores';
import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes } from '../../format';

export default class StoresCheck extends ClientCommand {
  static override summary = 'Run the store health-check workflow for a store and show its verdict (admin); a store not mounted or not writable is disabled.';
  static override args = { store: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(StoresCheck);
    const { client } = this.connect(flags.connection);
    const r = await client.call(stores.check, { store_name: args.store });
    const verdict = r.available && r.writable && !r.full ? 'healthy' : `unhealthy: ${r.problem}`;
    this.log(`Store "${r.name}" is ${verdict} (free ${r.free_space < 0 ? 'n/a' : formatBytes(r.free_space)}); ${r.enabled ? 'enabled' : 'disabled'}; workflow ${r.workflow_id}.`);
    return r;
  }
}
