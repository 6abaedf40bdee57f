import { writeFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import * as sneakernet from '../../../protocol/sneakernet';
import { ClientCommand, connectionFlag } from '../../base';

export default class SneakernetManifest extends ClientCommand {
  static override summary = "Write a drive's manifest for its destination and take the drive out of service for shipping (admin).";
  static override description = "Records an outgoing transfer per file on the drive, marks the drive's copies unavailable and disables the store. The manifest lists every file with its size and checksum, the source Librarian, and a checksum of the manifest itself. Running it again writes the same manifest and records nothing new.";
  static override flags = {
    ...connectionFlag,
    store: Flags.string({ required: true, description: "The drive's store." }),
    destination: Flags.string({ required: true, description: 'The Librarian the drive goes to.' }),
    output: Flags.string({ char: 'o', required: true, description: 'Where to write the manifest (JSON).' }),
  };

  async run() {
    const { flags } = await this.parse(SneakernetManifest);
    const { client } = this.connect(flags.connection);
    const m = await client.call(sneakernet.manifest, { store_name: flags.store, destination_librarian: flags.destination }, 600_000);
    writeFileSync(flags.output, JSON.stringify(m, null, 2) + '\n');
    const bytes = m.store_files.reduce((s, f) => s + f.size, 0);
    this.log(`Wrote ${flags.output}: ${m.store_files.length} files, ${bytes} bytes, ${m.manifest_checksum}. Ship the drive with it; at ${flags.destination}: librarian sneakernet ingest --manifest ${flags.output} --drive-root <mount point of the drive's store directory>`);
    return { output: flags.output, trip_id: m.trip_id, files: m.store_files.length, bytes, manifest_checksum: m.manifest_checksum };
  }
}
