import { Args, Flags } from '@oclif/core';
import { ClientCommand, connectionFlag } from '../base';

interface Validation {
  librarian: string;
  store_name: string;
  instance_id: number;
  original_checksum: string;
  current_checksum: string | null;
  computed_same_checksum: boolean;
  cached: boolean;
  error?: string;
}

export default class Validate extends ClientCommand {
  static override summary = "Recompute a file's checksums on the server and compare them with the catalogue.";
  static override description = 'Exits 1 when any instance does not match (or is missing). A checksum verified within the server\'s checksums.cacheLifetime is reused unless --force.';
  static override args = { name: Args.string({ required: true, description: 'File name.' }) };
  static override flags = { ...connectionFlag, force: Flags.boolean({ description: 'Recompute even recently verified checksums.' }) };

  async run() {
    const { args, flags } = await this.parse(Validate);
    const { client } = this.connect(flags.connection);
    const results = await client.post<Validation[]>('validate/file', { file_name: args.name, force: flags.force }, 24 * 3600_000);
    this.table(
      ['LIBRARIAN', 'STORE', 'INSTANCE', 'MATCH', 'EXPECTED', 'CURRENT', 'CACHED'],
      results.map((r) => [r.librarian, r.store_name, r.instance_id, r.computed_same_checksum ? 'yes' : 'NO', r.original_checksum, r.current_checksum ?? r.error ?? '', r.cached]),
    );
    if (results.length === 0) this.log('No available local instance to validate.');
    if (results.some((r) => !r.computed_same_checksum)) process.exitCode = 1;
    return results;
  }
}
