import { Args, Flags } from '@oclif/core';
import * as explain from '../../protocol/explain';
import { ClientCommand, connectionFlag } from '../base';
import { formatBytes, formatTime } from '../format';

export default class Explain extends ClientCommand {
  static override summary = 'Why a file is not at a peer yet: its copies here, every transfer of it, the batch carrying it and what that waits for, or why none does (admin).';
  static override description =
    'For each peer (or only --peer): whether it confirmed a copy; every outgoing transfer of the file with its status, time and failure reason; the batch or drive trip carrying it now with its phase, the step it waits for (attempt, last error, next retry) and its Temporal Web UI link; and, when nothing carries it, the rule that holds it back (sending paused, in-flight cap reached, no available copy here, older than clone.maxAgeDays, or the next scheduled send).';
  static override args = { name: Args.string({ required: true, description: 'The file name (its path in the namespace).' }) };
  static override flags = { ...connectionFlag, peer: Flags.string({ description: 'Only this peer.' }) };

  async run() {
    const { args, flags } = await this.parse(Explain);
    const { client } = this.connect(flags.connection);
    const r = await client.call(explain.file, { file_name: args.name, peer: flags.peer });
    this.log(`${r.file.name}: ${formatBytes(r.file.size)}, ${r.file.checksum}, uploaded by ${r.file.uploader}, created ${formatTime(r.file.create_time)}`);
    if (r.instances.length === 0) this.log('  no copy on this site');
    for (const i of r.instances) {
      const verified = i.verified_at ? `verified ${formatTime(i.verified_at)}${i.verified_same === false ? ' (DID NOT MATCH)' : ''}` : 'never verified';
      this.log(`  copy on store ${i.store}: ${i.available ? 'available' : 'NOT AVAILABLE'}, ${verified}`);
    }
    if (r.peers.length === 0) this.log('No peers.');
    for (const p of r.peers) {
      this.log('');
      this.log(p.confirmed_at ? `${p.peer}: there (confirmed ${formatTime(p.confirmed_at)})` : `${p.peer}: not there: ${p.why ?? ''}`);
      if (p.batch) {
        this.log(`  carried by ${p.batch.type} ${p.batch.workflow_id}: ${p.batch.status}, phase ${p.batch.phase ?? '?'}, waiting for ${p.batch.waiting_for}${p.batch.next_retry ? `, next retry ${formatTime(p.batch.next_retry)}` : ''}`);
        this.log(`  ${p.batch.web_ui}`);
      }
      for (const t of p.transfers) {
        this.log(`  transfer ${t.id} ${t.status}${t.method ? ` by ${t.method}` : ''}, ${formatTime(t.started)}${t.ended ? ` to ${formatTime(t.ended)}` : ''}${t.failure_reason ? `: ${t.failure_reason}` : ''}${t.batch_id ? ` (${t.batch_id})` : ''}`);
      }
    }
    if (r.temporal_problem) this.logToStderr(`Temporal was not asked about the batches: ${r.temporal_problem}`);
    return r;
  }
}
