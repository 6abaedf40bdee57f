import { Args, Flags } from '@oclif/core';
import * as ping from '../../../protocol/ping';
import { LibrarianClient } from '../../../protocol/client';
import { BaseCommand } from '../../base';
import { connectionsPath, connectionUrl, loadConnections, saveConnections, type Connection } from '../../connections';
import { readStdin } from '../../signals';

export default class ConnectionsAdd extends BaseCommand {
  static override summary = 'Add (or replace) a named connection to a Librarian server.';
  static override description = 'Connections live in $LIBRARIAN_CLIENT_CONFIG or ~/.config/librarian/connections.json, mode 600. The server is pinged with the credentials unless --no-check is given.';
  static override args = { name: Args.string({ required: true, ignoreStdin: true }) };
  static override flags = {
    host: Flags.string({ required: true, description: 'Host name or URL without port (http:// is assumed).' }),
    port: Flags.integer({ required: true }),
    user: Flags.string({ required: true }),
    'password-stdin': Flags.boolean({ description: 'Read the password from standard input (recommended).' }),
    password: Flags.string({ description: 'The password (visible in your shell history; prefer --password-stdin).' }),
    'temporal-address': Flags.string({ description: "The server's Temporal frontend, for `librarian workflows` (host:port)." }),
    'temporal-namespace': Flags.string({ description: "The server's Temporal namespace." }),
    default: Flags.boolean({ description: 'Make this the default connection.' }),
    'no-check': Flags.boolean({ description: 'Do not ping the server.' }),
  };

  async run() {
    const { args, flags } = await this.parse(ConnectionsAdd);
    const password = flags['password-stdin'] ? await readStdin() : flags.password;
    if (password === undefined) this.error('Give the password with --password-stdin (or --password).', { exit: 1 });
    const connection: Connection = {
      host: flags.host,
      port: flags.port,
      user: flags.user,
      password,
      ...(flags['temporal-address'] ? { temporalAddress: flags['temporal-address'] } : {}),
      ...(flags['temporal-namespace'] ? { temporalNamespace: flags['temporal-namespace'] } : {}),
    };
    if (!flags['no-check']) {
      const client = new LibrarianClient({ url: connectionUrl(connection), username: connection.user, password });
      const r = await client.call(ping.logged, {});
      if (r.librarian_name !== undefined) {
        connection.librarianName = r.librarian_name;
        this.log(`Reached Librarian "${r.librarian_name}" at ${client.url} as ${connection.user}.`);
      } else {
        connection.v2 = true;
        this.log(`Reached "${r.name}" at ${client.url} as ${connection.user}: a Librarian v2 server (it does not say its name).`);
      }
    }
    const data = loadConnections();
    data.connections[args.name] = connection;
    if (flags.default || !data.default) data.default = args.name;
    saveConnections(data);
    this.log(`Saved connection "${args.name}" in ${connectionsPath()}${data.default === args.name ? ' (default)' : ''}.`);
    return { name: args.name, url: connectionUrl(connection), user: connection.user, default: data.default === args.name };
  }
}
