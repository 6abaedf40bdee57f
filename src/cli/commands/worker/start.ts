import { runLibrarian } from '../../../server';
import { configFlag, ServerCommand } from '../../base';
import { waitForSignal } from '../../signals';

export default class WorkerStart extends ServerCommand {
  static override summary = 'Run a Temporal worker for this Librarian (until SIGINT/SIGTERM).';
  static override description = 'Polls the task queue librarian-<name> (or temporal.taskQueue) and runs the Librarian workflows and activities. On SIGINT/SIGTERM it stops polling, lets running activities finish for up to 30 s, and exits; Temporal retries whatever was cut short. With worker.healthPort set, it serves GET /healthz (alive) and GET /readyz (polling, catalog and Temporal answer) on that port for orchestrators.';
  static override enableJsonFlag = false;
  static override flags = { ...configFlag };

  async run() {
    const { flags } = await this.parse(WorkerStart);
    const config = await this.loadConfig(flags.config);
    const l = await runLibrarian(config, { api: false, worker: true });
    this.log(`Librarian worker polling ${config.temporal.taskQueue} on ${config.temporal.address}${l.healthUrl ? `; health endpoints at ${l.healthUrl}/healthz and /readyz` : ''}`);
    const stopped = await Promise.race([waitForSignal(), l.workerStopped.then(() => 'worker-stopped' as const)]);
    l.domain.log.info({ reason: stopped }, 'stopping worker');
    await l.stop();
  }
}
