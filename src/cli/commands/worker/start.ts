import { createServices } from '../../../services';
import { startWorker } from '../../../worker';
import { configFlag, ServerCommand } from '../../base';
import { waitForSignal } from '../../signals';

export default class WorkerStart extends ServerCommand {
  static override summary = 'Run a Temporal worker for this Librarian (until SIGINT/SIGTERM).';
  static override description = 'Polls the task queue librarian-<name> (or temporal.taskQueue) and runs the Librarian workflows and activities. On SIGINT/SIGTERM it stops polling, lets running activities finish for up to 30 s, and exits; Temporal retries whatever was cut short.';
  static override enableJsonFlag = false;
  static override flags = { ...configFlag };

  async run() {
    const { flags } = await this.parse(WorkerStart);
    const services = await createServices(this.loadConfig(flags.config), 'worker');
    const worker = await startWorker(services);
    this.log(`Librarian worker polling ${services.config.temporal.taskQueue} on ${services.config.temporal.address}`);
    const stopped = await Promise.race([waitForSignal(), worker.done.then(() => 'worker-stopped' as const)]);
    services.log.info({ reason: stopped }, 'stopping worker');
    await worker.shutdown();
    await services.close();
  }
}
