import { Flags } from '@oclif/core';
import * as deletion from '../../../protocol/deletion';
import { ClientCommand, connectionFlag } from '../../base';
import { formatTime } from '../../format';

export default class DeletionLog extends ClientCommand {
  static override summary = 'Local copies deleted, newest first, with the evidence each deletion relied on (admin).';
  static override flags = { ...connectionFlag, file: Flags.string({ description: 'Only this file.' }) };

  async run() {
    const { flags } = await this.parse(DeletionLog);
    const { client } = this.connect(flags.connection);
    const r = await client.call(deletion.log, { file_name: flags.file });
    this.table(
      ['DELETED', 'FILE', 'INSTANCE', 'BY', 'EVIDENCE'],
      r.deletions.map((d) => [
        formatTime(d.deleted_at),
        d.file_name,
        d.instance_id,
        d.by,
        d.evidence.forced
          ? `forced${d.evidence.dataKept ? ' (data kept on disk)' : ''}`
          : (d.evidence.copies ?? []).filter((c) => c.matches).map((c) => `${c.librarian} (verified ${c.verifiedAt ?? '?'})`).join(', '),
      ]),
    );
    if (r.deletions.length === 0) this.log('No deletions recorded.');
    return r.deletions;
  }
}
