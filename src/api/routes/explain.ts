import { explain } from '../../protocol';
import { route } from '../endpoint';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const explainEndpoints = [
  route(explain.file, {
    level: 'ADMIN',
    summary:
      "Why a file is (not yet) at each peer: its copies here and their last verification, every transfer of it with status and failure reason, the batch or drive trip carrying it (phase, what it waits for, next retry, Web UI link), and the planner's reason when none does.",
    errors: [404],
    handler: async ({ body, flows }) => {
      const r = await flows.explain.file(body.file_name, body.peer);
      return {
        file: { name: r.file.name, size: r.file.size, checksum: r.file.checksum, uploader: r.file.uploader, source: r.file.source, create_time: r.file.createTime.toISOString(), catalog_time: r.file.catalogTime.toISOString() },
        instances: r.instances.map((i) => ({ store: i.store, path: i.path, available: i.available, deletion_policy: i.deletionPolicy, verified_at: iso(i.verifiedAt), verified_same: i.verifiedSame })),
        peers: r.peers.map((p) => {
          const b = p.carriedBy ? r.batches.get(p.carriedBy) : undefined;
          return {
            peer: p.peer,
            confirmed_at: iso(p.confirmedAt),
            sending_enabled: p.sendingEnabled,
            why: p.why,
            transfers: p.transfers.map((t) => ({ id: t.id, status: t.status, method: t.method, batch_id: t.batchId, started: t.startTime.toISOString(), ended: iso(t.endTime), failure_reason: t.failureReason })),
            batch: b ? { workflow_id: b.workflowId, type: b.type, status: b.status, phase: b.phase, waiting_for: b.waitingFor, next_retry: b.nextRetry, web_ui: b.webUi } : null,
          };
        }),
        temporal_problem: r.temporalProblem,
      };
    },
  }),
];
