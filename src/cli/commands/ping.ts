import { Flags } from '@oclif/core';
import * as ping from '../../protocol/ping';
import { ClientCommand, connectionFlag } from '../base';

export default class Ping extends ClientCommand {
  static override summary = "Check that a Librarian answers, that your connection's credentials work, and that its catalog and Temporal answer it.";
  static override description = 'Exits with 1 when the server answers but its catalog or Temporal does not (it cannot start or follow uploads and transfers then), with the reason.';
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
    const down = (['catalog', 'temporal'] as const).filter((k) => r[k] && !r[k].ok);
    for (const k of down) this.logToStderr(`Its ${k === 'catalog' ? 'catalog' : 'Temporal server'} does not answer: ${r[k]!.problem ?? 'log in to see why (ping without --no-login)'}`);
    if (down.length) process.exitCode = 1;
    return result;
  }
}
