import { Args } from '@oclif/core';
import * as stores from '../../../protocol/stores';
import { ClientCommand, connectionFlag } from '../../base';

export default class StoresDisable extends ClientCommand {
  static override summary = 'Disable a store so it accepts no new data (admin).';
  static override args = { store: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(StoresDisable);
    const { client } = this.connect(flags.connection);
    const r = await client.call(stores.stateChange, { store_name: args.store, enabled: false });
    this.log(`Store "${r.store_name}" is now ${r.enabled ? 'enabled' : 'disabled'}.`);
    return r;
  }
}
