import type { Client } from '@temporalio/client';

/** Attempt number of the last start of an activity in a workflow: > 1 proves it was retried. */
export async function lastAttempt(temporal: Client, workflowId: string, activity: string): Promise<number> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const scheduled = new Map<string, string>();
  let attempt = 0;
  for (const e of history.events ?? []) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started && scheduled.get(String(started.scheduledEventId)) === activity) attempt = started.attempt ?? 0;
  }
  return attempt;
}
