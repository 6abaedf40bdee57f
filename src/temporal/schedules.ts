import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { LIBRARIAN } from '../workflows/searchAttributes';
import { workflowId } from './connection';

/**
 * Creates or updates a Schedule so it matches the configuration; `every` of 0 removes it. With
 * `pausedBecause` it is kept but paused (and unpaused again when called without it).
 * Temporal runs the cadence (overlap policy SKIP), so there are no cron threads of our own.
 */
export async function upsertSchedule(client: Client, log: Logger, options: ScheduleOptions, every: number, pausedBecause?: string): Promise<void> {
  const handle = client.schedule.getHandle(options.scheduleId);
  if (every <= 0) {
    try {
      await handle.delete();
      log.info({ schedule: options.scheduleId }, 'schedule removed (disabled in configuration)');
    } catch (e) {
      if (!(e instanceof ScheduleNotFoundError)) throw e;
    }
    return;
  }
  const paused = pausedBecause !== undefined;
  try {
    await client.schedule.create({ ...options, state: { paused, note: pausedBecause } });
    log.info({ schedule: options.scheduleId, paused }, 'schedule created');
  } catch (e) {
    if (!(e instanceof ScheduleAlreadyRunning)) throw e;
    // The paused state is written with the rest, not decided from a read: a description can
    // lag a pause or unpause made a moment before, and a decision on it would undo that.
    let wasPaused = false;
    await handle.update((prev) => {
      wasPaused = prev.state.paused;
      return { ...prev, spec: options.spec, action: options.action as typeof prev.action, state: { ...prev.state, paused, note: pausedBecause ?? '' } };
    });
    if (wasPaused !== paused) log.info({ schedule: options.scheduleId, paused }, paused ? 'schedule paused' : 'schedule resumed');
  }
}

/**
 * Deletes this Librarian's Schedules under `prefix` that the configuration no longer wants (a
 * removed peer or local clone must stop running, not keep its last cadence forever).
 */
export async function pruneSchedules(client: Client, log: Logger, prefix: string, wanted: Set<string>): Promise<void> {
  for await (const s of client.schedule.list()) {
    if (!s.scheduleId.startsWith(prefix) || wanted.has(s.scheduleId)) continue;
    try {
      await client.schedule.getHandle(s.scheduleId).delete();
      log.info({ schedule: s.scheduleId }, 'schedule removed (no longer configured)');
    } catch (e) {
      if (!(e instanceof ScheduleNotFoundError)) throw e;
    }
  }
}

export async function ensureSchedules(client: Client, config: Config, log: Logger): Promise<void> {
  const every = config.healthCheck.every;
  await upsertSchedule(
    client,
    log,
    {
      scheduleId: workflowId(config, 'store-health'),
      spec: { intervals: [{ every: Math.max(every, 1000) }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'storeHealthCheck',
        taskQueue: config.temporal.taskQueue,
        args: [{}],
        workflowId: workflowId(config, 'store-health', 'scheduled'),
        typedSearchAttributes: [{ key: LIBRARIAN, value: config.name }],
        workflowExecutionTimeout: '10m',
      },
    },
    every,
  );
}

/** One Schedule per configured local clone (backup disks, SneakerNet drives); others are removed. */
export async function ensureLocalCloneSchedules(client: Client, config: Config, log: Logger): Promise<void> {
  await pruneSchedules(client, log, `${workflowId(config, 'local-clone')}/`, new Set(config.localClones.map((lc) => workflowId(config, 'local-clone', lc.name))));
  for (const lc of config.localClones) {
    await upsertSchedule(
      client,
      log,
      {
        scheduleId: workflowId(config, 'local-clone', lc.name),
        spec: { intervals: [{ every: Math.max(lc.every, 1000) }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'localClone',
          taskQueue: config.temporal.taskQueue,
          args: [{ name: lc.name, heartbeatTimeoutMs: config.workflows.heartbeatTimeout }],
          workflowId: workflowId(config, 'local-clone', lc.name),
          typedSearchAttributes: [{ key: LIBRARIAN, value: config.name }],
        },
      },
      lc.every,
    );
  }
}
