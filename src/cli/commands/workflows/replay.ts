import { Flags } from '@oclif/core';
import { replayRunning } from '../../../flows/replay';
import { BaseCommand } from '../../base';
import { resolveTemporal, temporalClientFor, temporalFlags } from '../../temporal';

export default class WorkflowsReplay extends BaseCommand {
  static override summary = "Check that this version's workflow code can carry on the workflows running now.";
  static override description =
    "Replays the history of every running workflow of this Librarian (all Librarians with --all) against this installation's workflow code, without running any step or changing anything. Run it from a new version before deploying it: a workflow listed as failing would stop making progress on the new workers (see docs/operations.md, \"Workflow code changes\"). Exits 1 when any fails.";
  static override flags = {
    ...temporalFlags,
    all: Flags.boolean({ description: 'Every running workflow in the namespace, not only this Librarian\'s.' }),
  };

  async run() {
    const { flags } = await this.parse(WorkflowsReplay);
    const target = resolveTemporal(flags);
    const client = await temporalClientFor(target);
    try {
      const outcomes = await replayRunning(client, flags.all ? undefined : target.librarianName);
      const failed = outcomes.filter((o) => o.error);
      if (!this.jsonEnabled()) {
        for (const f of failed) this.log(`${f.workflow_id} (run ${f.run_id}): ${f.error}`);
        this.log(failed.length ? `${failed.length} of ${outcomes.length} running workflows would fail with this version's workflow code.` : `All ${outcomes.length} running workflows replay with this version's workflow code.`);
      }
      if (failed.length) process.exitCode = 1;
      return { running: outcomes.length, failed: failed.length, workflows: outcomes };
    } finally {
      await client.connection.close();
    }
  }
}
