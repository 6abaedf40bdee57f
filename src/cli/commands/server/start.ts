import { runLibrarian } from '../../../server';
import { configFlag, ServerCommand } from '../../base';
import { waitForSignal } from '../../signals';

export default class ServerStart extends ServerCommand {
  static override summary = 'Run the HTTP API server (until SIGINT/SIGTERM).';
  static override description = 'Serves /api/v2 for clients and peer Librarians. Run "librarian setup" with the same configuration first. Start as many as you like behind a load balancer; they share the catalog. On SIGINT/SIGTERM it stops taking requests (503), lets those under way finish for up to 30 s, answers the rest 503, and exits. GET /healthz (alive) and GET /readyz (catalog and Temporal answer; 503 while stopping) are for orchestrators and load balancers.';
  static override enableJsonFlag = false;
  static override flags = { ...configFlag };

  async run() {
    const { flags } = await this.parse(ServerStart);
    const l = await runLibrarian(await this.loadConfig(flags.config), { api: true, worker: false });
    this.log(`Librarian API listening on ${l.api!.url}`);
    const sig = await waitForSignal();
    l.domain.log.info({ signal: sig }, 'stopping API');
    await l.stop();
  }
}
