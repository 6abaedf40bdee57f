import { runLibrarian } from '../../server';
import { configFlag, ServerCommand } from '../base';
import { waitForSignal } from '../signals';

export default class Start extends ServerCommand {
  static override summary = 'Run the HTTP API and a worker in one process (until SIGINT/SIGTERM).';
  static override description = 'What "server start" and "worker start" do, together: for a small site, or one process per site. Run "librarian setup" with the same configuration first. On SIGINT/SIGTERM, in order: the API stops taking requests and lets those under way finish for up to 30 s (the worker still runs, so a commit in flight can end), the worker lets running activities finish for up to 30 s, then the connections close and it exits.';
  static override enableJsonFlag = false;
  static override flags = { ...configFlag };

  async run() {
    const { flags } = await this.parse(Start);
    const config = await this.loadConfig(flags.config);
    const l = await runLibrarian(config, { api: true, worker: true });
    this.log(`Librarian API listening on ${l.api!.url}`);
    this.log(`Librarian worker polling ${config.temporal.taskQueue} on ${config.temporal.address}`);
    const stopped = await Promise.race([waitForSignal(), l.workerStopped.then(() => 'worker-stopped' as const)]);
    l.domain.log.info({ reason: stopped }, 'stopping');
    await l.stop();
  }
}
