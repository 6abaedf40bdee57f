/**
 * Repairing one damaged (lost or corrupt) instance (repair/<librarian>/<instance id>; one at a
 * time per instance):
 *
 *   plan      verify it again: restored meanwhile means nothing to do; else list the good
 *             copies we know of: our other stores, then peers (the file's source first);
 *   local     copy from another store, verify the copy, and only then replace the damaged data;
 *   peers     ask each peer in turn (corrupt/prepare, corrupt/resend); one that accepts sends the
 *             file through the normal clone path, which puts it in place once verified here;
 *             wait for that transfer, then plan again;
 *   verdict   no good copy anywhere (every peer says so): unrecoverable, alerted once, not
 *             retried; peers that cannot send now (down, paused): ask again every
 *             repair.retryEvery until repair.giveUpAfter, then stop and alert.
 */
import { ActivityFailure, defineQuery, proxyActivities, setHandler, sleep, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { describeFailure } from './failures';
import { BACKGROUND_DISK_WORK, CATALOG_UNTIL_IT_ANSWERS, PEER_ASKED_AGAIN_LATER } from './retries';
import { FILE_NAME, PHASE } from './searchAttributes';

export interface RepairInput {
  instanceId: number;
  retryEveryMs: number;
  giveUpAfterMs: number;
  heartbeatTimeoutMs: number;
  /** First wait before looking whether a requested copy arrived (clone.callbackWait); doubling to 15 min. */
  arrivalPollMs: number;
}

export interface RepairResult {
  instanceId: number;
  outcome: 'repaired' | 'good' | 'gone' | 'unrecoverable' | 'gave-up';
  /** Where the good copy came from (repaired), or why not. */
  detail?: string;
}

export interface RepairState {
  phase: string;
  fileName?: string;
  attempts: number;
  answers: string[];
}

export const repairStateQuery = defineQuery<RepairState>('state');

/** The longest wait between two looks at whether a requested copy has arrived. */
const ARRIVAL_POLL_MAX_MS = 15 * 60_000;

export async function repairInstance(input: RepairInput): Promise<RepairResult> {
  const { instanceId } = input;
  // A repair waits for days and nothing would start it again: its catalog steps wait out an outage.
  const quick = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: CATALOG_UNTIL_IT_ANSWERS });
  const hashing = proxyActivities<Activities>({ startToCloseTimeout: '24h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: BACKGROUND_DISK_WORK });
  // A peer that does not answer after a few tries is passed over for now (asked again later).
  const asking = proxyActivities<Activities>({ startToCloseTimeout: '7h', heartbeatTimeout: input.heartbeatTimeoutMs, retry: PEER_ASKED_AGAIN_LATER });

  const state: RepairState = { phase: 'planning', attempts: 0, answers: [] };
  setHandler(repairStateQuery, () => state);
  const setPhase = (phase: string) => {
    state.phase = phase;
    upsertSearchAttributes([{ key: PHASE, value: phase }]);
  };
  const started = workflowInfo().runStartTime.getTime();
  let arrivedFrom: string | undefined;

  for (;;) {
    state.attempts++;
    setPhase('planning');
    const plan = await hashing.planRepair(instanceId);
    if (plan.state === 'gone') return done({ instanceId, outcome: 'gone' });
    state.fileName = plan.fileName;
    upsertSearchAttributes([{ key: FILE_NAME, value: plan.fileName }]);
    if (plan.state === 'good') {
      if (arrivedFrom) return done({ instanceId, outcome: 'repaired', detail: `from ${arrivedFrom}` });
      await quick.noteRepair(instanceId, 'verified good again: nothing to repair', true);
      return done({ instanceId, outcome: 'good' });
    }
    arrivedFrom = undefined;
    const answers: { from: string; outcome: 'no-copy' | 'refused' | 'unreachable' | 'failed'; reason: string }[] = [];
    if (plan.state === 'unreachable') {
      answers.push({ from: 'this Librarian', outcome: 'unreachable', reason: plan.reason });
    } else {
      for (const source of plan.localSources) {
        setPhase('copying from another store');
        const r = await hashing.repairFromLocal(instanceId, source);
        if (r.ok) return done({ instanceId, outcome: 'repaired', detail: `from our instance ${source}` });
        answers.push({ from: `instance ${source}`, outcome: 'no-copy', reason: r.reason });
      }
      for (const peer of plan.peers) {
        setPhase(`asking ${peer}`);
        let a;
        try {
          a = await asking.askPeerForCopy(instanceId, peer);
        } catch (e) {
          if (!(e instanceof ActivityFailure)) throw e;
          answers.push({ from: peer, outcome: 'unreachable', reason: `${peer}: ${describeFailure(e)}` });
          continue;
        }
        if (a.outcome !== 'accepted') {
          answers.push({ from: peer, outcome: a.outcome, reason: a.reason });
          continue;
        }
        setPhase(`receiving from ${peer}`);
        const end = await waitForArrival(a.transferId);
        if (end === 'COMPLETED') {
          arrivedFrom = peer;
          break;
        }
        answers.push({ from: peer, outcome: 'failed', reason: `${peer}: its copy did not arrive (our incoming transfer ${a.transferId} is ${end})` });
      }
      if (arrivedFrom) continue;
    }
    state.answers = answers.map((a) => a.reason);
    if (answers.every((a) => a.outcome === 'no-copy')) {
      const reason = answers.length ? `no good copy anywhere (${answers.map((a) => a.reason).join('; ')})` : 'no other copy is known (no other store or peer holds one)';
      await quick.repairUnrecoverable(instanceId, reason);
      return done({ instanceId, outcome: 'unrecoverable', detail: reason });
    }
    const why = answers.filter((a) => a.outcome !== 'no-copy').map((a) => a.reason).join('; ');
    const now = Date.now();
    if (now + input.retryEveryMs - started > input.giveUpAfterMs) {
      const reason = `gave up after ${Math.round((now - started) / 3_600_000)} h: no good copy could be fetched (${why})`;
      await quick.repairGaveUp(instanceId, reason);
      return done({ instanceId, outcome: 'gave-up', detail: reason });
    }
    await quick.noteRepair(instanceId, `waiting to ask again (attempt ${state.attempts}): ${why}`, false);
    setPhase('waiting to ask again');
    await sleep(input.retryEveryMs);
  }

  function done(r: RepairResult): RepairResult {
    setPhase(r.outcome);
    return r;
  }

  /** Until the requested copy's incoming transfer ends (its own workflows bound how long that takes). */
  async function waitForArrival(transferId: number): Promise<string> {
    for (let wait = Math.min(input.arrivalPollMs, ARRIVAL_POLL_MAX_MS); ; wait = Math.min(wait * 2, ARRIVAL_POLL_MAX_MS)) {
      const status = await quick.incomingStatus(transferId);
      if (status === 'COMPLETED' || status === 'FAILED' || status === 'CANCELLED') return status;
      await sleep(wait);
    }
  }
}
