/**
 * The periodic work of a Librarian, as Temporal Schedules (overlap policy SKIP), so there are no
 * cron threads of our own: a store health check, an audit per store, one local clone per
 * configured one, one rolling deletion per policy, and one sending step per peer (paused while
 * the peer is). The worker makes them match the
 * configuration when it starts; adding, pausing or removing a peer updates its Schedule.
 */
import { ScheduleAlreadyRunning, ScheduleNotFoundError, type Client, type ScheduleOptions } from '@temporalio/client';
import { cloneSettingsFor } from '../config';
import type { Domain } from '../domain';
import { PEER, STORE } from '../workflows/searchAttributes';
import { auditSettings } from './audit';
import { rollingDeletionSettings } from './deletion';
import type { TemporalAccess } from './temporal';

export class ScheduleFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  /** Every Schedule of this Librarian, as the configuration and the peers want them. */
  async ensureAll(): Promise<void> {
    await this.ensureHealthCheck();
    await this.ensureAudits();
    await this.ensurePeers();
    await this.ensureLocalClones();
    await this.ensureRollingDeletions();
  }

  /** One Schedule per rolling-deletion policy (its every; 0: on demand only); others are removed. */
  private async ensureRollingDeletions(): Promise<void> {
    const c = this.domain.config;
    const ids = this.temporal.ids;
    await this.prune(ids.rollingDeletionSchedulePrefix(), new Set(c.rollingDeletion.filter((p) => p.every > 0).map((p) => ids.rollingDeletionSchedule(p.name))));
    for (const p of c.rollingDeletion) {
      await this.upsert(
        {
          scheduleId: ids.rollingDeletionSchedule(p.name),
          spec: { intervals: [{ every: Math.max(p.every, 1000) }] },
          action: {
            type: 'startWorkflow',
            workflowType: 'rollingDeletion',
            taskQueue: this.temporal.taskQueue,
            args: [rollingDeletionSettings(c, p.name, false)],
            workflowId: ids.rollingDeletionSchedule(p.name),
            typedSearchAttributes: [this.temporal.librarian, { key: STORE, value: p.store }],
          },
        },
        p.every,
      );
    }
  }

  /** One audit Schedule per store in the catalog (audit.every; 0 removes them). */
  private async ensureAudits(): Promise<void> {
    const c = this.domain.config;
    const ids = this.temporal.ids;
    const stores = await this.domain.stores.names();
    await this.prune(ids.auditSchedulePrefix(), new Set(c.audit.every > 0 ? stores.map((n) => ids.auditSchedule(n)) : []));
    for (const store of stores) {
      await this.upsert(
        {
          scheduleId: ids.auditSchedule(store),
          spec: { intervals: [{ every: Math.max(c.audit.every, 1000) }] },
          action: {
            type: 'startWorkflow',
            workflowType: 'scheduledAudit',
            taskQueue: this.temporal.taskQueue,
            args: [{ ...auditSettings(c, store), auditWorkflowId: ids.audit(store) }],
            workflowId: ids.auditSchedule(store),
            typedSearchAttributes: [this.temporal.librarian, { key: STORE, value: store }],
          },
        },
        c.audit.every,
      );
    }
  }

  private async ensureHealthCheck(): Promise<void> {
    const c = this.domain.config;
    const ids = this.temporal.ids;
    await this.upsert(
      {
        scheduleId: ids.storeHealthSchedule(),
        spec: { intervals: [{ every: Math.max(c.healthCheck.every, 1000) }] },
        action: {
          type: 'startWorkflow',
          workflowType: 'storeHealthCheck',
          taskQueue: this.temporal.taskQueue,
          args: [{}],
          workflowId: ids.storeHealthScheduled(),
          typedSearchAttributes: [this.temporal.librarian],
          workflowExecutionTimeout: '10m',
        },
      },
      c.healthCheck.every,
    );
  }

  /** One Schedule per configured local clone (backup disks, SneakerNet drives); others are removed. */
  private async ensureLocalClones(): Promise<void> {
    const c = this.domain.config;
    const ids = this.temporal.ids;
    await this.prune(ids.localCloneSchedulePrefix(), new Set(c.localClones.map((lc) => ids.localCloneSchedule(lc.name))));
    for (const lc of c.localClones) {
      await this.upsert(
        {
          scheduleId: ids.localCloneSchedule(lc.name),
          spec: { intervals: [{ every: Math.max(lc.every, 1000) }] },
          action: {
            type: 'startWorkflow',
            workflowType: 'localClone',
            taskQueue: this.temporal.taskQueue,
            args: [{ name: lc.name, heartbeatTimeoutMs: c.workflows.heartbeatTimeout }],
            workflowId: ids.localCloneSchedule(lc.name),
            typedSearchAttributes: [this.temporal.librarian],
          },
        },
        lc.every,
      );
    }
  }

  /** One sending Schedule per peer, paused while transfers to the peer are paused (none when clone.every is 0). */
  async ensurePeers(): Promise<void> {
    const ids = this.temporal.ids;
    // Peers we only receive from get no sending Schedule.
    const peers = (await this.domain.peers.list()).filter((p) => p.sending);
    const wanted = new Map(peers.map((p) => [ids.sendSchedule(p.name), p]));
    await this.prune(ids.sendSchedulePrefix(), new Set(wanted.keys()));
    for (const [id, p] of wanted) {
      const every = cloneSettingsFor(this.domain.config, p.name).every;
      await this.upsert(
        {
          scheduleId: id,
          spec: { intervals: [{ every: Math.max(every, 1000) }] },
          action: {
            type: 'startWorkflow',
            workflowType: 'sendClones',
            taskQueue: this.temporal.taskQueue,
            args: [{ peer: p.name }],
            workflowId: id,
            typedSearchAttributes: [this.temporal.librarian, { key: PEER, value: p.name }],
            workflowExecutionTimeout: '1h',
          },
        },
        every,
        p.transfersEnabled ? undefined : 'transfers to this peer are paused',
      );
    }
  }

  /**
   * Creates or updates a Schedule so it matches the configuration; `every` of 0 removes it. With
   * `pausedBecause` it is kept but paused (and unpaused again when called without it).
   */
  private async upsert(options: ScheduleOptions, every: number, pausedBecause?: string): Promise<void> {
    const client = await this.temporal.client();
    const log = this.domain.log;
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
   * Deletes this Librarian's Schedules under `prefix` that are no longer wanted (a removed peer or
   * local clone must stop running, not keep its last cadence forever).
   */
  private async prune(prefix: string, wanted: Set<string>): Promise<void> {
    const client: Client = await this.temporal.client();
    for await (const s of client.schedule.list()) {
      if (!s.scheduleId.startsWith(prefix) || wanted.has(s.scheduleId)) continue;
      try {
        await client.schedule.getHandle(s.scheduleId).delete();
        this.domain.log.info({ schedule: s.scheduleId }, 'schedule removed (no longer configured)');
      } catch (e) {
        if (!(e instanceof ScheduleNotFoundError)) throw e;
      }
    }
  }
}
