import { Args } from '@oclif/core';
import { BaseCommand } from '../../base';
import { loadConnections, saveConnections } from '../../connections';

export default class ConnectionsRemove extends BaseCommand {
  static override summary = 'Remove a named connection.';
  static override args = { name: Args.string({ required: true }) };

  async run() {
    const { args } = await this.parse(ConnectionsRemove);
    const data = loadConnections();
    if (!data.connections[args.name]) this.error(`No connection named "${args.name}".`, { exit: 1 });
    delete data.connections[args.name];
    if (data.default === args.name) delete data.default;
    saveConnections(data);
    this.log(`Removed connection "${args.name}".`);
    return { name: args.name, removed: true };
  }
}
