import { repair } from '../../protocol';
import { iso } from '../../protocol/call';
import { route } from '../endpoint';

export const repairEndpoints = [
  route(repair.corruptPrepare, {
    level: 'CALLBACK',
    summary:
      "Upstream side of a peer's repair (v2): the peer librarian_name (calling through its own account) holds a damaged copy of file_name. We verify our copy again (hashing it), and check that we can log in to the peer and send to it. 409 with no_copy: true when we have no good copy.",
    errors: [401, 409],
    handler: async ({ body, flows, principal }) => flows.repair.prepare(principal!, body.librarian_name, body.file_name),
  }),
  route(repair.corruptResend, {
    level: 'CALLBACK',
    summary:
      "Upstream side of a peer's repair (v2): the same checks as corrupt/prepare, then the file goes to the peer as a one-file clone batch, staged there before we answer with the peer's new incoming transfer id. A repeated request returns the transfer already in flight.",
    errors: [401, 409],
    handler: async ({ body, flows, principal }) => {
      const r = await flows.repair.resend(principal!, body.librarian_name, body.file_name);
      return { success: true, destination_transfer_id: r.destinationTransferId };
    },
  }),
  route(repair.run, {
    level: 'ADMIN',
    summary:
      "Repair every damaged (lost or corrupt) copy of file_name from a good copy (another store, else a peer) and wait for the outcomes; a repair already running is joined. Copies not known to be damaged are left alone: validate the file first to find out.",
    errors: [404, 503],
    handler: async ({ body, flows, domain }) => {
      await domain.search.requireFile(body.file_name);
      return { repairs: (await flows.repair.run(body.file_name)).map((r) => ({ instance_id: r.instanceId, outcome: r.outcome, detail: r.detail ?? null })) };
    },
  }),
  route(repair.status, {
    level: 'ADMIN',
    summary: 'Every damaged (lost or corrupt) copy and where its repair stands: running (and at which step), or how it last ended (e.g. unrecoverable).',
    errors: [503],
    handler: async ({ flows }) => ({
      repairs: (await flows.repair.status()).map((r) => ({
        instance_id: r.instanceId,
        file_name: r.fileName,
        store_name: r.store,
        path: r.path,
        kind: r.kind,
        detail: r.detail,
        first_seen: iso(r.firstSeen),
        repair: r.repair,
        running: r.running,
        phase: r.phase,
        workflow_id: r.workflowId,
      })),
    }),
  }),
];
