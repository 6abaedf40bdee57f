import type { Client } from '@temporalio/client';
import { waitFor } from './ports';

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

/** A workflow's pending activity of this type (its attempt and last failure), if one is pending. */
export async function pendingActivity(
  temporal: Client,
  workflowId: string,
  activity: string,
): Promise<{ state: 'SCHEDULED' | 'STARTED' | 'CANCEL_REQUESTED' | 'PAUSED' | 'UNKNOWN'; attempt: number; lastFailure: string | null } | undefined> {
  const d = await temporal.workflow.getHandle(workflowId).describe().catch(() => undefined);
  const p = (d?.raw.pendingActivities ?? []).find((a) => a.activityType?.name === activity);
  if (!p) return undefined;
  const states: ('UNKNOWN' | 'SCHEDULED' | 'STARTED' | 'CANCEL_REQUESTED' | 'PAUSED')[] = ['UNKNOWN', 'SCHEDULED', 'STARTED', 'CANCEL_REQUESTED', 'PAUSED'];
  return { state: states[Number(p.state ?? 0)] ?? 'UNKNOWN', attempt: p.attempt ?? 0, lastFailure: p.lastFailure?.message ?? null };
}

/** Waits until Temporal shows the activity running (an attempt started, on a worker). */
export async function activityStarted(temporal: Client, workflowId: string, activity: string): Promise<void> {
  await waitFor(`${activity} to run in ${workflowId}`, async () => (await pendingActivity(temporal, workflowId, activity))?.state === 'STARTED', 120_000, 100);
}
