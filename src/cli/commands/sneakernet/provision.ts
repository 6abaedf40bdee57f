import { Flags } from '@oclif/core';
import * as sneakernet from '../../../protocol/sneakernet';
import { ClientCommand, connectionFlag } from '../../base';

export default class SneakernetProvision extends ClientCommand {
  static override summary = 'Start a trip of a SneakerNet drive: the mounted drive (a configured store with ingestable: false) is enabled so the local clone fills it (admin).';
  static override flags = { ...connectionFlag, store: Flags.string({ required: true, description: "The drive's store." }) };

  async run() {
    const { flags } = await this.parse(SneakernetProvision);
    const { client } = this.connect(flags.connection);
    const r = await client.call(sneakernet.provision, { store_name: flags.store });
    this.log(`Drive "${flags.store}" provisioned: trip ${r.trip_id} is filling.`);
    return r;
  }
}
