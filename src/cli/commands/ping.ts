import { Flags } from '@oclif/core';
import { ping } from '../../protocol';
import { ClientCommand, connectionFlag } from '../base';

export default class Ping extends ClientCommand {
  static override summary = "Check that a Librarian answers and that your connection's credentials work.";
  static override flags = {
    ...connectionFlag,
    'no-login': Flags.boolean({ description: 'Only check the server is up (ping/ without credentials).' }),
    admin: Flags.boolean({ description: 'Check the credentials are an ADMIN account (ping/admin).' }),
  };

  async run() {
    const { flags } = await this.parse(Ping);
    const { name, client } = this.connect(flags.connection);
    const started = Date.now();
    const r = await client.call(flags['no-login'] ? ping.anonymous : flags.admin ? ping.admin : ping.logged, {});
    const result = { connection: name, url: client.url, ...r, milliseconds: Date.now() - started };
    // A Librarian v2 server answers only its displayed name and description.
    const who = r.librarian_name !== undefined ? `${r.librarian_name} (${r.name})` : `${r.name} (a Librarian v2 server: it does not say its name)`;
    this.log(`${who} at ${client.url} answered in ${result.milliseconds} ms${r.username ? ` as ${r.username}` : ''}.`);
    return result;
  }
}
