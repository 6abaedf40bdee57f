import { Flags } from '@oclif/core';
import { ClientCommand, connectionFlag } from '../../base';
import { formatTime } from '../../format';

interface DeletionRow {
  id: number;
  file_name: string;
  instance_id: number;
  path: string;
  by: string;
  deleted_at: string;
  evidence: { copies?: { librarian: string; matches: boolean; verified_at?: string | null; verifiedAt?: string | null }[]; forced?: boolean; dataKept?: boolean };
}

export default class DeletionLog extends ClientCommand {
  static override summary = 'Local copies deleted, newest first, with the evidence each deletion relied on (admin).';
  static override flags = { ...connectionFlag, file: Flags.string({ description: 'Only this file.' }) };

  async run() {
    const { flags } = await this.parse(DeletionLog);
    const { client } = this.connect(flags.connection);
    const r = await client.post<{ deletions: DeletionRow[] }>('admin/deletion/log', { file_name: flags.file });
    this.table(
      ['DELETED', 'FILE', 'INSTANCE', 'BY', 'EVIDENCE'],
      r.deletions.map((d) => [
        formatTime(d.deleted_at),
        d.file_name,
        d.instance_id,
        d.by,
        d.evidence.forced
          ? `forced${d.evidence.dataKept ? ' (data kept on disk)' : ''}`
          : (d.evidence.copies ?? []).filter((c) => c.matches).map((c) => `${c.librarian} (verified ${c.verifiedAt ?? c.verified_at ?? '?'})`).join(', '),
      ]),
    );
    if (r.deletions.length === 0) this.log('No deletions recorded.');
    return r.deletions;
  }
}
