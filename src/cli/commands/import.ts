import { Args, Flags } from '@oclif/core';
import * as imports from '../../protocol/imports';
import { ClientCommand, connectionFlag } from '../base';
import { formatBytes } from '../format';

export default class Import extends ClientCommand {
  static override summary = 'Catalogue data that is already under a store root, where it lies (admin).';
  static override description =
    'For adopting an existing archive, recovering from a rebuilt catalog, or taking back dark data an audit found. PATH is on the server: relative to the store root, or absolute inside it. It is imported as one file (or book, if a directory), or with --depth N each entry N levels below it. Each is hashed; what is already catalogued is skipped. New files get deletion policy DISALLOWED, uploader = you, source = this Librarian. Exits 1 when an entry could not be imported.';
  static override args = { path: Args.string({ required: true, description: 'Path on the server, under the store root.' }) };
  static override flags = {
    ...connectionFlag,
    store: Flags.string({ required: true, description: 'The store whose root holds PATH.' }),
    depth: Flags.integer({ description: 'Import each entry this many levels below PATH (0: PATH itself).', default: 0, min: 0, max: 10 }),
    name: Flags.string({ description: 'The file name to catalogue it under (default: its path in the store; --depth 0 only).' }),
  };

  async run() {
    const { args, flags } = await this.parse(Import);
    const { client } = this.connect(flags.connection);
    const r = await client.call(imports.run, { store_name: flags.store, path: args.path, depth: flags.depth, name: flags.name }, 7 * 24 * 3600_000);
    this.table(
      ['PATH', 'FILE', 'OUTCOME', 'SIZE', 'CHECKSUM'],
      r.results.map((x) => ('error' in x ? [x.path, '', 'FAILED', '', x.error] : [x.path, x.file_name, x.outcome, formatBytes(x.size), x.checksum])),
    );
    this.log(`${r.entries} entries: ${r.catalogued} catalogued, ${r.instances_added} added as copies of known files, ${r.already_catalogued} already catalogued, ${r.failed} failed.`);
    if (r.failed) process.exitCode = 1;
    return r;
  }
}
