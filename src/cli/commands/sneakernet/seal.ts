import { Flags } from '@oclif/core';
import * as sneakernet from '../../../protocol/sneakernet';
import { ClientCommand, connectionFlag } from '../../base';

export default class SneakernetSeal extends ClientCommand {
  static override summary = 'Declare a drive full: stop filling it and alert the operators (admin).';
  static override flags = { ...connectionFlag, store: Flags.string({ required: true, description: "The drive's store." }) };

  async run() {
    const { flags } = await this.parse(SneakernetSeal);
    const { client } = this.connect(flags.connection);
    const r = await client.call(sneakernet.seal, { store_name: flags.store });
    this.log(`Drive "${flags.store}" sealed with ${r.files} files (${r.bytes} bytes). Next: librarian sneakernet manifest --store ${flags.store} --destination <peer> --output manifest.json`);
    return r;
  }
}
