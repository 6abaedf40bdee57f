/**
 * Running workflows survive a deploy only if the new code replays their histories to the same
 * commands. These histories were recorded from real runs (the production-shape test, with
 * LIBRARIAN_RECORD_HISTORIES=1) and are replayed here against the current workflow code: a
 * change that makes one fail is not replay-compatible. Make it so with `patched()` from
 * @temporalio/workflow (docs/operations.md, "Workflow code changes"), or, if the change is meant
 * to need a drain, say so in the release notes and record the histories again.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR } from '../support/histories';
import { productWorkflows } from '../support/workflows';

type Recorded = { workflowId: string; history: unknown };
const files = readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json')).sort();
const load = (f: string): Recorded => JSON.parse(readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as Recorded;

test('histories are recorded for the workflows that run for days or carry the data', () => {
  expect(files.map((f) => f.replace(/\.json$/, ''))).toEqual(expect.arrayContaining(['upload', 'cloneBatch', 'receiveClone', 'sendClones']));
});

test('uploads recorded before and after verify and commit became one step: both replay, each with its own steps', () => {
  const steps = (f: string) =>
    (load(f).history as { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[] }).events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType.name ?? []);
  expect(steps('upload-two-steps.json')).toEqual(['stageUpload', 'verifyUpload', 'commitUpload']);
  expect(steps('upload.json')).toEqual(['stageUpload', 'verifyAndCommitUpload']);
});

test.each(files)('%s replays against the current workflow code', async (file) => {
  const { workflowId, history } = load(file);
  await Worker.runReplayHistory(productWorkflows(), historyFromJSON(history), workflowId);
}, 60_000);

test('a history whose steps the code no longer takes is caught', async () => {
  const { workflowId, history } = load('upload.json');
  // As if the code had scheduled another activity at that point.
  const changed = JSON.parse(JSON.stringify(history)) as { events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[] };
  const scheduled = changed.events.find((e) => e.activityTaskScheduledEventAttributes)!;
  scheduled.activityTaskScheduledEventAttributes!.activityType.name = 'someOtherStep';
  await expect(Worker.runReplayHistory(productWorkflows(), historyFromJSON(changed), workflowId)).rejects.toThrow(DeterminismViolationError);
}, 60_000);
