import { Flags } from '@oclif/core';
import * as audit from '../../../protocol/audit';
import { ClientCommand, connectionFlag } from '../../base';
import { formatTime } from '../../format';

export default class AuditReport extends ClientCommand {
  static override summary = 'Lost, corrupt and dark data found by audits and validations (admin).';
  static override flags = {
    ...connectionFlag,
    kind: Flags.string({ options: ['lost', 'corrupt', 'dark'], description: 'Only this kind.' }),
    store: Flags.string({ description: 'Only this store.' }),
    all: Flags.boolean({ description: 'Resolved findings too.' }),
  };

  async run() {
    const { flags } = await this.parse(AuditReport);
    const { client } = this.connect(flags.connection);
    const r = await client.call(audit.report, { kind: flags.kind, store_name: flags.store, include_resolved: flags.all });
    this.table(
      ['KIND', 'STORE', 'PATH', 'FIRST SEEN', 'LAST SEEN', 'SEEN', 'RESOLVED', 'DETAIL'],
      r.findings.map((f) => [f.kind, f.store_name, f.path, formatTime(f.first_seen), formatTime(f.last_seen), f.count, formatTime(f.resolved_at), f.repair ? `${f.detail} (repair: ${f.repair})` : f.detail]),
    );
    if (r.findings.length === 0) this.log(flags.all ? 'Nothing found.' : 'No open findings.');
    return r.findings;
  }
}
