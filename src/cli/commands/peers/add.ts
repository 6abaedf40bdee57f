import { Args, Flags } from '@oclif/core';
import * as peers from '../../../protocol/peers';
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
    send: Flags.boolean({
      allowNo: true,
      description: 'Send clones to it (--no-send: we only receive from it, and no sending Schedule runs). Default: send, unless the ping says our account there may not upload (below READAPPEND).',
    }),
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
      sending: flags.send,
    });
    // v2 servers answer a name in use or a failed ping this way rather than with an error.
    if (!r.success) this.error(r.already_exists ? `A peer named "${args.name}" already exists.` : `Peer "${args.name}" was not added: the ping with these credentials failed, or the server cannot store them.`, { exit: 1 });
    const direction = r.sending === false ? `we only receive from it${flags.send === undefined ? ' (our account there may not upload; --send to send anyway)' : ''}` : r.sending ? 'we send clones to it' : undefined;
    this.log(`Added peer "${args.name}"${r.ping_success ? ' (it answered)' : ''}${direction ? `: ${direction}` : ''}.`);
    return { name: args.name, ...r };
  }
}
