import { Args, Flags } from '@oclif/core';
import * as deletion from '../../../protocol/deletion';
import { ClientCommand, connectionFlag } from '../../base';
import { evidenceText } from '../deletion/run';

export default class InstancesDelete extends ClientCommand {
  static override summary = "Delete this Librarian's copy of a file, once other Librarians hold verified copies.";
  static override description =
    'The same guard as rolling deletion, checked now: the copy\'s deletion policy allows it, nothing is reading it, and at least --min-copies other Librarians answer that their copy matches, verified within --verified-within (a staler answer makes them hash again). Never the last copy known anywhere. --force (admins only) skips every check but that one. Exits 1 when the copy was kept, saying why.';
  static override args = { name: Args.string({ required: true, description: 'File name.' }) };
  static override flags = {
    ...connectionFlag,
    store: Flags.string({ description: 'The store whose copy to delete (when there are several).' }),
    'min-copies': Flags.integer({ description: 'Other Librarians that must hold a verified, matching copy.', default: 1, min: 1 }),
    'verified-within': Flags.string({ description: 'How recent their verification must be (e.g. 2d, 12h).', default: '2d' }),
    force: Flags.boolean({ description: 'Skip the policy, reader and peer checks (admins only; never the last copy).' }),
    'dry-run': Flags.boolean({ description: 'Only say whether it would be deleted, and why.' }),
  };

  async run() {
    const { args, flags } = await this.parse(InstancesDelete);
    const { client } = this.connect(flags.connection);
    const d = await client.call(
      deletion.deleteInstance,
      { file_name: args.name, store_name: flags.store, min_copies: flags['min-copies'], verified_within: flags['verified-within'], force: flags.force, dry_run: flags['dry-run'] },
      24 * 3600_000,
    );
    this.log(d.action === 'deleted' ? `Deleted instance ${d.instance_id} of "${d.file_name}" on store "${d.store_name}"${d.evidence.length ? `; verified copies at ${evidenceText(d)}` : ''}.` : `Would delete instance ${d.instance_id} of "${d.file_name}" on store "${d.store_name}"; verified copies at ${evidenceText(d)}.`);
    return d;
  }
}
