import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes } from '../../format';

interface StoreOut {
  id: number;
  name: string;
  store_type: string;
  free_space: number;
  ingestable: boolean;
  available: boolean;
  enabled: boolean;
}

export default class StoresList extends ClientCommand {
  static override summary = 'List stores with free space and state (admin).';
  static override flags = { ...connectionFlag };

  async run() {
    const { flags } = await this.parse(StoresList);
    const { client } = this.connect(flags.connection);
    const stores = await client.post<StoreOut[]>('admin/stores/list');
    this.table(
      ['NAME', 'TYPE', 'FREE', 'INGESTABLE', 'AVAILABLE', 'ENABLED'],
      stores.map((s) => [s.name, s.store_type, s.free_space < 0 ? 'unmounted' : formatBytes(s.free_space), s.ingestable, s.available, s.enabled]),
    );
    return stores;
  }
}
