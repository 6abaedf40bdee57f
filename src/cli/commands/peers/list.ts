import { Flags } from '@oclif/core';
import * as peers from '../../../protocol/peers';
import { ClientCommand, connectionFlag } from '../../base';
import { formatTime } from '../../format';

export default class PeersList extends ClientCommand {
  static override summary = 'List peer Librarians, whether they answer, and whether we send to them (or only receive) and whether sending is paused (admin).';
  static override flags = { ...connectionFlag, 'no-ping': Flags.boolean({ description: 'Do not ping them.' }) };

  async run() {
    const { flags } = await this.parse(PeersList);
    const { client } = this.connect(flags.connection);
    const r = await client.call(peers.list, { ping: !flags['no-ping'] });
    // v2 servers send neither base_url nor ping_error.
    this.table(
      ['NAME', 'URL', 'ANSWERS', 'SENDING', 'LAST SEEN', 'LAST HEARD'],
      r.librarians.map((p) => [p.name, p.base_url ?? `${p.url}:${p.port}`, p.available === null ? '?' : p.available ? 'yes' : `no${p.ping_error ? ` (${p.ping_error})` : ''}`, p.sending === false ? 'no (receive only)' : p.enabled ? 'enabled' : 'PAUSED', formatTime(p.last_seen), formatTime(p.last_heard)]),
    );
    return r.librarians;
  }
}
