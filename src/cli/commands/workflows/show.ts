import { Args, Flags } from '@oclif/core';
import { describeWorkflow } from '../../../flows/inspect';
import { BaseCommand } from '../../base';
import { formatTime } from '../../format';
import { resolveTemporal, temporalClientFor, temporalFlags } from '../../temporal';

export default class WorkflowsShow extends BaseCommand {
  static override summary = 'Show one workflow: type, status, times, search attributes, pending activities and the last failure.';
  static override args = { id: Args.string({ required: true, description: 'Workflow id.' }) };
  static override flags = { ...temporalFlags, history: Flags.boolean({ description: 'Also list the event history: each event with its activity, attempt, timer, signal or update, and failure text.' }) };

  async run() {
    const { args, flags } = await this.parse(WorkflowsShow);
    const client = await temporalClientFor(resolveTemporal(flags));
    try {
      const { events, ...w } = await describeWorkflow(client, args.id);
      const result = flags.history ? { ...w, events } : w;
      this.log(`Workflow ${w.workflow_id} (${w.type}) ${w.status}`);
      this.log(`  started ${formatTime(w.start_time)}${w.close_time ? `, closed ${formatTime(w.close_time)}` : ''}; ${w.history_length} events; task queue ${w.task_queue}`);
      for (const [k, v] of Object.entries(w.search_attributes)) this.log(`  ${k}: ${String(v)}`);
      if (w.last_failure) this.log(`  last failure: ${w.last_failure}`);
      for (const p of w.pending_activities) {
        this.log(`  pending ${p.activity}: ${p.state}, attempt ${p.attempt}${p.next_attempt ? `, next attempt ${formatTime(p.next_attempt)}` : ''}${p.last_failure ? `, last failure: ${p.last_failure}` : ''}`);
      }
      if (flags.history) this.table(['ID', 'TIME', 'EVENT', 'DETAIL'], events.map((e) => [e.id, formatTime(e.time), e.type, e.detail]));
      return result;
    } finally {
      await client.connection.close();
    }
  }
}
