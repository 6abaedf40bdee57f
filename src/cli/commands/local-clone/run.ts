import { Args } from '@oclif/core';
import * as sneakernet from '../../../protocol/sneakernet';
import { ClientCommand, connectionFlag } from '../../base';

export default class LocalCloneRun extends ClientCommand {
  static override summary = 'Run a configured local clone (localClones[].name) now, as its Schedule would, and show what it copied (admin).';
  static override args = { name: Args.string({ required: true }) };
  static override flags = { ...connectionFlag };

  async run() {
    const { args, flags } = await this.parse(LocalCloneRun);
    const { client } = this.connect(flags.connection);
    const r = await client.call(sneakernet.localCloneRun, { name: args.name }, 24 * 3_600_000);
    this.log(`Copied ${r.copied}, already there ${r.present}, failed ${r.failed.length}.${r.full_stores.length ? ` Full now: ${r.full_stores.join(', ')}.` : ''}${r.stopped_because ? ` Stopped: ${r.stopped_because}.` : ''}`);
    for (const f of r.failed) this.log(`  failed: ${f}`);
    return r;
  }
}
