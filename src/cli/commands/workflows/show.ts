import { Args, Flags } from '@oclif/core';
import { temporal } from '@temporalio/proto';
import { BaseCommand } from '../../base';
import { formatTime } from '../../format';
import { resolveTemporal, temporalClientFor, temporalFlags } from '../../temporal';
import { workflowRow } from './list';

const EventType = temporal.api.enums.v1.EventType;

function tsToIso(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

export default class WorkflowsShow extends BaseCommand {
  static override summary = 'Show one workflow: type, status, times, search attributes, pending activities and the last failure.';
  static override args = { id: Args.string({ required: true, description: 'Workflow id.' }) };
  static override flags = { ...temporalFlags, history: Flags.boolean({ description: 'Also list the event history.' }) };

  async run() {
    const { args, flags } = await this.parse(WorkflowsShow);
    const client = await temporalClientFor(resolveTemporal(flags));
    try {
      const handle = client.workflow.getHandle(args.id);
      const d = await handle.describe();
      const pending = (d.raw.pendingActivities ?? []).map((a) => ({
        activity: a.activityType?.name ?? '',
        state: a.state !== undefined && a.state !== null ? temporal.api.enums.v1.PendingActivityState[a.state] : '',
        attempt: a.attempt ?? 0,
        last_failure: a.lastFailure?.message ?? null,
        next_attempt: tsToIso(a.nextAttemptScheduleTime),
        last_heartbeat: tsToIso(a.lastHeartbeatTime),
      }));
      const history = await handle.fetchHistory();
      let lastFailure: string | null = null;
      const events = (history.events ?? []).map((e) => {
        const attrs = e.workflowExecutionFailedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.workflowTaskFailedEventAttributes;
        if (attrs?.failure?.message) lastFailure = `${attrs.failure.message}${attrs.failure.cause?.message ? `: ${attrs.failure.cause.message}` : ''}`;
        return { id: Number(e.eventId), time: tsToIso(e.eventTime), type: EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(e.eventType) };
      });
      for (const p of pending) if (p.last_failure) lastFailure = `${p.activity}: ${p.last_failure}`;
      const result = { ...workflowRow(d), history_length: d.historyLength, last_failure: lastFailure, pending_activities: pending, ...(flags.history ? { events } : {}) };
      this.log(`Workflow ${result.workflow_id} (${result.type}) ${result.status}`);
      this.log(`  started ${formatTime(result.start_time)}${result.close_time ? `, closed ${formatTime(result.close_time)}` : ''}; ${result.history_length} events; task queue ${result.task_queue}`);
      for (const [k, v] of Object.entries(result.search_attributes)) this.log(`  ${k}: ${String(v)}`);
      if (lastFailure) this.log(`  last failure: ${lastFailure}`);
      for (const p of pending) {
        this.log(`  pending ${p.activity}: ${p.state}, attempt ${p.attempt}${p.next_attempt ? `, next attempt ${formatTime(p.next_attempt)}` : ''}${p.last_failure ? `, last failure: ${p.last_failure}` : ''}`);
      }
      if (flags.history) this.table(['ID', 'TIME', 'EVENT'], events.map((e) => [e.id, formatTime(e.time), e.type]));
      return result;
    } finally {
      await client.connection.close();
    }
  }
}
