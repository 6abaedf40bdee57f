import { Flags } from '@oclif/core';
import * as sneakernet from '../../../protocol/sneakernet';
import { ClientCommand, connectionFlag } from '../../base';

export default class SneakernetWipe extends ClientCommand {
  static override summary = "Delete a drive's data once every file on it is confirmed at the destination, and ready it for its next trip (admin).";
  static override description = 'Refuses, listing what is missing, while any file on the drive is not confirmed.';
  static override flags = { ...connectionFlag, store: Flags.string({ required: true, description: "The drive's store." }) };

  async run() {
    const { flags } = await this.parse(SneakernetWipe);
    const { client } = this.connect(flags.connection);
    const r = await client.call(sneakernet.wipe, { store_name: flags.store }, 3_600_000);
    this.log(`Wiped drive "${flags.store}": ${r.files_deleted} files deleted; it is enabled for the next trip (librarian sneakernet provision --store ${flags.store}).`);
    return r;
  }
}
