import { Args, Flags } from '@oclif/core';
import * as validation from '../../protocol/validation';
import type { ValidationItem } from '../../protocol/validation';
import { ClientCommand, connectionFlag } from '../base';

export default class Validate extends ClientCommand {
  static override summary = "Recompute a file's checksums on the server (and, with --peers, at every site holding a copy) and compare them with the catalogue.";
  static override description =
    "Exits 1 when any copy does not match, is missing, or (with --peers) a site did not answer. A checksum verified within the server's checksums.cacheLifetime is reused unless --force. A damaged copy found here is recorded and its repair starts (see \"librarian repair status\"); a peer does the same for its own copies.";
  static override args = { name: Args.string({ required: true, description: 'File name.' }) };
  static override flags = {
    ...connectionFlag,
    force: Flags.boolean({ description: 'Recompute even recently verified checksums (at every site, with --peers).' }),
    peers: Flags.boolean({ description: 'Also ask every peer that holds a copy (they ask theirs), and summarise per site.' }),
    depth: Flags.integer({ description: 'With --peers: how many hops from here (at most 5).', default: 3, min: 0, max: 5 }),
  };

  async run() {
    const { args, flags } = await this.parse(Validate);
    const { client } = this.connect(flags.connection);
    // force is always sent: a request with file_name alone is answered as to a v2 Librarian (no lost copies).
    const body = { file_name: args.name, force: flags.force ?? false, ...(flags.peers ? { peers: true, depth: flags.depth } : {}) };
    const results = await client.call(validation.file, body, 24 * 3600_000);
    this.table(
      ['LIBRARIAN', 'STORE', 'INSTANCE', 'STATE', 'MATCH', 'EXPECTED', 'CURRENT', 'VERIFIED'],
      results.map((r) => [
        r.librarian,
        r.store_name ?? (r.store >= 0 ? r.store : ''),
        r.instance_id >= 0 ? r.instance_id : '',
        r.state ?? (r.computed_same_checksum ? 'good' : 'corrupt'),
        r.computed_same_checksum ? 'yes' : 'NO',
        r.original_checksum,
        r.current_checksum ?? r.error ?? '',
        r.checksum_time ? `${r.checksum_time}${r.cached ? ' (cached)' : ''}` : '',
      ]),
    );
    if (flags.peers) {
      const sites = new Map<string, ValidationItem[]>();
      for (const r of results) sites.set(r.librarian, [...(sites.get(r.librarian) ?? []), r]);
      const count = (items: ValidationItem[], state: string) => items.filter((i) => (i.state ?? (i.computed_same_checksum ? 'good' : 'corrupt')) === state).length;
      this.log('');
      this.table(
        ['SITE', 'COPIES', 'GOOD', 'CORRUPT', 'LOST', 'UNREACHABLE'],
        [...sites].map(([site, items]) => [site, items.filter((i) => i.instance_id >= 0).length, count(items, 'good'), count(items, 'corrupt'), count(items, 'lost'), count(items, 'unreachable')]),
      );
    }
    if (results.length === 0) this.log('No local instance to validate.');
    if (results.some((r) => !r.computed_same_checksum)) process.exitCode = 1;
    return results;
  }
}
