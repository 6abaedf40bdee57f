import { Flags } from '@oclif/core';
import { ClientCommand, connectionFlag } from '../../base';
import { formatBytes, formatTime } from '../../format';

interface Status {
  peers: { name: string; enabled: boolean; in_flight_batches: number; max_batches: number; waiting_files: number; waiting_reason: string | null }[];
  batches: { workflow_id: string; peer: string; phase: string; method: string | null; files: number | null; bytes: number | null; started: string; waiting_for: string; next_retry: string | null }[];
}

export default class CloneStatus extends ClientCommand {
  static override summary = 'Clone batches in flight: phase, what each waits for, next retry; and per peer, the files waiting and why (admin).';
  static override flags = { ...connectionFlag, peer: Flags.string({ description: 'Only this peer.' }) };

  async run() {
    const { flags } = await this.parse(CloneStatus);
    const { client } = this.connect(flags.connection);
    const s = await client.post<Status>('admin/clone/status', flags.peer ? { peer: flags.peer } : {});
    this.table(
      ['PEER', 'SENDING', 'BATCHES', 'FILES WAITING', 'WAITING FOR'],
      s.peers.map((p) => [p.name, p.enabled ? 'enabled' : 'PAUSED', `${p.in_flight_batches}/${p.max_batches}`, p.waiting_files, p.waiting_reason ?? '']),
    );
    this.log('');
    this.table(
      ['BATCH', 'PHASE', 'METHOD', 'FILES', 'BYTES', 'STARTED', 'WAITING FOR', 'NEXT RETRY'],
      s.batches.map((b) => [b.workflow_id, b.phase, b.method ?? '', b.files ?? '', b.bytes === null ? '' : formatBytes(b.bytes), formatTime(b.started), b.waiting_for, formatTime(b.next_retry)]),
    );
    return s;
  }
}
