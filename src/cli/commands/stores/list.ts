import * as stores from '../../../protocol/stores';
import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes } from '../../format';

export default class StoresList extends ClientCommand {
  static override summary = 'List stores with free space and state (admin); HEALTH says why the last health check found a store failing.';
  static override flags = { ...connectionFlag };

  async run() {
    const { flags } = await this.parse(StoresList);
    const { client } = this.connect(flags.connection);
    const found = await client.call(stores.list, {});
    this.table(
      ['NAME', 'TYPE', 'FREE', 'INGESTABLE', 'AVAILABLE', 'ENABLED', 'HEALTH'],
      found.map((s) => [s.name, s.store_type, s.free_space < 0 ? 'unmounted' : formatBytes(s.free_space), s.ingestable, s.available, s.enabled, s.health_problem ? `failing: ${s.health_problem}` : s.health_problem === null ? 'ok' : '']),
    );
    return found;
  }
}
