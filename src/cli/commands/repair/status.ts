import * as repair from '../../../protocol/repair';
import { ClientCommand, connectionFlag } from '../../base';
import { formatTime } from '../../format';

export default class RepairStatus extends ClientCommand {
  static override summary = 'Damaged (lost or corrupt) copies and where their repairs stand (admin).';
  static override description =
    'A repair starts by itself when an audit, a validation or a clone finds a damaged copy: from a good copy on another store, else from a peer. RUNNING shows the step a running repair is at; REPAIR what happened last (e.g. "unrecoverable: ...", which is not retried until "librarian repair run NAME").';
  static override flags = { ...connectionFlag };

  async run() {
    const { flags } = await this.parse(RepairStatus);
    const { client } = this.connect(flags.connection);
    const r = await client.call(repair.status, {});
    this.table(
      ['FILE', 'STORE', 'INSTANCE', 'KIND', 'FOUND', 'RUNNING', 'REPAIR', 'DETAIL'],
      r.repairs.map((x) => [x.file_name ?? '', x.store_name, x.instance_id ?? '', x.kind, formatTime(x.first_seen), x.running ? (x.phase ?? 'yes') : 'no', x.repair ?? 'not started', x.detail]),
    );
    if (r.repairs.length === 0) this.log('No damaged copies.');
    return r.repairs;
  }
}
