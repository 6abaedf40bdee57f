import { BaseCommand } from '../../base';
import { connectionsPath, connectionUrl, loadConnections } from '../../connections';

export default class ConnectionsList extends BaseCommand {
  static override summary = 'List your named connections (passwords are not shown).';

  async run() {
    const data = loadConnections();
    const rows = Object.entries(data.connections).map(([name, c]) => ({
      name,
      default: data.default === name,
      url: connectionUrl(c),
      user: c.user,
      librarian_name: c.librarianName ?? null,
      temporal_address: c.temporalAddress ?? null,
    }));
    this.log(`Connections file: ${connectionsPath()}`);
    this.table(['NAME', 'DEFAULT', 'URL', 'USER', 'LIBRARIAN', 'TEMPORAL'], rows.map((r) => [r.name, r.default ? '*' : '', r.url, r.user, r.librarian_name, r.temporal_address]));
    return rows;
  }
}
