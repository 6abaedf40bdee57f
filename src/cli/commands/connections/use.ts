import { Args } from '@oclif/core';
import { BaseCommand } from '../../base';
import { loadConnections, saveConnections } from '../../connections';

export default class ConnectionsUse extends BaseCommand {
  static override summary = 'Make a named connection the default.';
  static override args = { name: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(ConnectionsUse);
    const data = loadConnections();
    if (!data.connections[args.name]) this.error(`No connection named "${args.name}".`, { exit: 1 });
    data.default = args.name;
    saveConnections(data);
    this.log(`Default connection: ${args.name}.`);
    return { default: args.name };
  }
}
