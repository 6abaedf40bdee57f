import * as sneakernet from '../../../protocol/sneakernet';
import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes, formatTime } from '../../format';

export default class SneakernetStatus extends ClientCommand {
  static override summary = "Each drive trip's state (filling, full, in transit, ingesting at the destination, confirmed, wiped), file count, bytes and what it waits for (admin).";
  static override flags = { ...connectionFlag };

  async run() {
    const { flags } = await this.parse(SneakernetStatus);
    const { client } = this.connect(flags.connection);
    const r = await client.call(sneakernet.status, {});
    this.table(
      ['DRIVE', 'STATE', 'DESTINATION', 'FILES', 'BYTES', 'CONFIRMED', 'STARTED', 'WAITING FOR'],
      r.trips.map((t) => [t.store_name, t.state, t.destination ?? '', t.files, formatBytes(t.bytes), `${t.confirmed}${t.rejected ? ` (+${t.rejected} rejected)` : ''}`, formatTime(t.started), t.waiting_for]),
    );
    return r.trips;
  }
}
