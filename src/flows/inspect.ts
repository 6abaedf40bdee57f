/**
 * The operator's view of workflows (`librarian workflows list|show`): what Temporal knows about a
 * Librarian's workflows, read with any client of its namespace.
 */
import type { Client, WorkflowExecutionDescription, WorkflowExecutionInfo } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const EventType = temporal.api.enums.v1.EventType;

export function timestamp(t: { seconds?: unknown; nanos?: number | null } | null | undefined): string | null {
  if (!t || t.seconds === undefined || t.seconds === null) return null;
  return new Date(Number(t.seconds) * 1000 + Math.floor((t.nanos ?? 0) / 1e6)).toISOString();
}

export function searchAttributesOf(w: Pick<WorkflowExecutionInfo, 'typedSearchAttributes'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of w.typedSearchAttributes.getAll()) {
    if (pair.key.name.startsWith('Librarian')) out[pair.key.name] = pair.value instanceof Date ? pair.value.toISOString() : pair.value;
  }
  return out;
}

export function workflowRow(w: Omit<WorkflowExecutionInfo, 'raw'>) {
  return {
    workflow_id: w.workflowId,
    run_id: w.runId,
    type: w.type,
    status: w.status.name,
    task_queue: w.taskQueue,
    start_time: w.startTime.toISOString(),
    close_time: w.closeTime?.toISOString() ?? null,
    search_attributes: searchAttributesOf(w),
  };
}

export interface ListFilter {
  /** Only this Librarian's workflows (its search attribute). */
  librarian?: string;
  type?: string;
  status?: string;
  /** A Temporal visibility query, ANDed with the rest. */
  query?: string;
  limit: number;
}

/** Workflows newest first. */
export async function listWorkflows(client: Client, f: ListFilter) {
  const clauses: string[] = [];
  if (f.librarian) clauses.push(`Librarian = "${f.librarian}"`);
  if (f.type) clauses.push(`WorkflowType = "${f.type}"`);
  if (f.status) clauses.push(`ExecutionStatus = "${f.status}"`);
  if (f.query) clauses.push(`(${f.query})`);
  const rows = [];
  for await (const w of client.workflow.list({ query: clauses.join(' AND ') || undefined, pageSize: Math.min(f.limit, 1000) })) {
    rows.push(workflowRow(w));
    if (rows.length >= f.limit) break;
  }
  return rows;
}

/** A workflow's activities in progress: which, its state and attempt, its last error and next try. */
export function pendingActivities(d: WorkflowExecutionDescription) {
  return (d.raw.pendingActivities ?? []).map((a) => ({
    activity: a.activityType?.name ?? '',
    state: a.state !== undefined && a.state !== null ? temporal.api.enums.v1.PendingActivityState[a.state] : '',
    attempt: a.attempt ?? 0,
    lastFailure: a.lastFailure?.message ?? null,
    nextAttempt: timestamp(a.nextAttemptScheduleTime),
    lastHeartbeat: timestamp(a.lastHeartbeatTime),
  }));
}

/** One workflow: status, times, search attributes, pending activities, the last failure, and its events. */
export async function describeWorkflow(client: Client, id: string) {
  const handle = client.workflow.getHandle(id);
  const d = await handle.describe();
  const pending = pendingActivities(d).map((a) => ({
    activity: a.activity,
    state: a.state,
    attempt: a.attempt,
    last_failure: a.lastFailure,
    next_attempt: a.nextAttempt,
    last_heartbeat: a.lastHeartbeat,
  }));
  const history = await handle.fetchHistory();
  let lastFailure: string | null = null;
  const activityOf = new Map<number, string>();
  const events = (history.events ?? []).map((e) => {
    const attrs = e.workflowExecutionFailedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.workflowTaskFailedEventAttributes;
    if (attrs?.failure?.message) lastFailure = `${attrs.failure.message}${attrs.failure.cause?.message ? `: ${attrs.failure.cause.message}` : ''}`;
    const id = Number(e.eventId);
    const scheduled = e.activityTaskScheduledEventAttributes?.activityType?.name;
    if (scheduled) activityOf.set(id, scheduled);
    return { id, time: timestamp(e.eventTime), type: EventType[e.eventType ?? 0]?.replace('EVENT_TYPE_', '') ?? String(e.eventType), detail: eventDetail(e, activityOf) };
  });
  for (const p of pending) if (p.last_failure) lastFailure = `${p.activity}: ${p.last_failure}`;
  return { ...workflowRow(d), history_length: d.historyLength, last_failure: lastFailure, pending_activities: pending, events };
}

type HistoryEvent = NonNullable<temporal.api.history.v1.IHistory['events']>[number];

function failureText(f: temporal.api.failure.v1.IFailure | null | undefined): string {
  if (!f?.message) return '';
  return `${f.message}${f.cause?.message ? `: ${f.cause.message}` : ''}`;
}

/** What an event is about, for a reader of the history: the activity, timer, signal or update, and failure text. */
function eventDetail(e: HistoryEvent, activityOf: Map<number, string>): string {
  const activity = (scheduledId: unknown) => activityOf.get(Number(scheduledId)) ?? '';
  const join = (...parts: (string | undefined | null | false)[]) => parts.filter(Boolean).join(': ');
  if (e.workflowExecutionStartedEventAttributes) return e.workflowExecutionStartedEventAttributes.workflowType?.name ?? '';
  if (e.activityTaskScheduledEventAttributes) return e.activityTaskScheduledEventAttributes.activityType?.name ?? '';
  if (e.activityTaskStartedEventAttributes) {
    const a = e.activityTaskStartedEventAttributes;
    return join(activity(a.scheduledEventId), `attempt ${a.attempt ?? 1}`, failureText(a.lastFailure));
  }
  if (e.activityTaskCompletedEventAttributes) return activity(e.activityTaskCompletedEventAttributes.scheduledEventId);
  if (e.activityTaskFailedEventAttributes) return join(activity(e.activityTaskFailedEventAttributes.scheduledEventId), failureText(e.activityTaskFailedEventAttributes.failure));
  if (e.activityTaskTimedOutEventAttributes) return join(activity(e.activityTaskTimedOutEventAttributes.scheduledEventId), failureText(e.activityTaskTimedOutEventAttributes.failure));
  if (e.activityTaskCanceledEventAttributes) return activity(e.activityTaskCanceledEventAttributes.scheduledEventId);
  if (e.workflowExecutionFailedEventAttributes) return failureText(e.workflowExecutionFailedEventAttributes.failure);
  if (e.workflowTaskFailedEventAttributes) return failureText(e.workflowTaskFailedEventAttributes.failure);
  if (e.timerStartedEventAttributes) {
    const t = e.timerStartedEventAttributes.startToFireTimeout;
    return t ? `${Number(t.seconds ?? 0)} s` : '';
  }
  if (e.workflowExecutionSignaledEventAttributes) return e.workflowExecutionSignaledEventAttributes.signalName ?? '';
  if (e.workflowExecutionUpdateAcceptedEventAttributes) return e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name ?? '';
  if (e.workflowExecutionUpdateCompletedEventAttributes) return failureText(e.workflowExecutionUpdateCompletedEventAttributes.outcome?.failure);
  if (e.startChildWorkflowExecutionInitiatedEventAttributes) return e.startChildWorkflowExecutionInitiatedEventAttributes.workflowType?.name ?? '';
  if (e.childWorkflowExecutionFailedEventAttributes) return failureText(e.childWorkflowExecutionFailedEventAttributes.failure);
  if (e.workflowExecutionContinuedAsNewEventAttributes) return failureText(e.workflowExecutionContinuedAsNewEventAttributes.failure);
  return '';
}
