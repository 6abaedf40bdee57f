import { Args, Flags } from '@oclif/core';
import { peers } from '../../../protocol';
import { ClientCommand, connectionFlag } from '../../base';
import { readStdin } from '../../signals';

export default class PeersAdd extends ClientCommand {
  static override summary = 'Register a peer Librarian (admin).';
  static override description = `NAME must be the peer's configured name. --user/--password are OUR account on the peer (it must exist there: READAPPEND if we send to it, CALLBACK if it only calls us back). The peer is pinged with them unless --no-check. The peer needs the same in reverse: an account named after us, and us added as its peer.`;
  static override args = { name: Args.string({ required: true, ignoreStdin: true }) };
  static override flags = {
    ...connectionFlag,
    url: Flags.string({ required: true, description: 'Host name or http(s) URL of the peer (http:// is assumed), without credentials in it (refused): give those with --user and --password-stdin.' }),
    port: Flags.integer({ required: true }),
    user: Flags.string({ required: true, description: 'Our account on the peer.' }),
    'password-stdin': Flags.boolean({ description: 'Read the password of that account from standard input.' }),
    password: Flags.string({ description: 'The password (prefer --password-stdin).' }),
    'no-check': Flags.boolean({ description: 'Do not ping the peer.' }),
  };

  async run() {
    const { args, flags } = await this.parse(PeersAdd);
    const { client } = this.connect(flags.connection);
    const password = flags['password-stdin'] ? await readStdin() : flags.password;
    if (password === undefined) this.error('Give the password with --password-stdin (or --password).', { exit: 1 });
    const r = await client.call(peers.add, {
      librarian_name: args.name,
      url: flags.url,
      port: flags.port,
      authenticator: `${flags.user}:${password}`,
      check_connection: !flags['no-check'],
    });
    // v2 servers answer a name in use or a failed ping this way rather than with an error.
    if (!r.success) this.error(r.already_exists ? `A peer named "${args.name}" already exists.` : `Peer "${args.name}" was not added: the ping with these credentials failed, or the server cannot store them.`, { exit: 1 });
    this.log(`Added peer "${args.name}"${r.ping_success ? ' (it answered)' : ''}.`);
    return { name: args.name, ...r };
  }
}
