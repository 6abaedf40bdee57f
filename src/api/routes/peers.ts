import { PeerRegistry } from '../../domain/peers/registry';
import { peers } from '../../protocol';
import { isoOrNull } from '../../protocol/call';
import { route } from '../endpoint';

export const peerEndpoints = [
  route(peers.add, {
    level: 'ADMIN',
    summary:
      'Register a peer Librarian with our credentials on it ("user:password", encrypted at rest). Pings it first unless check_connection is false. sending false: we only receive from it (no sending Schedule); absent: true unless the ping says our account there may not upload.',
    errors: [400, 503],
    statusAs: { 409: 400 },
    handler: async ({ body, flows }) => {
      const r = await flows.peers.add({ name: body.librarian_name, url: body.url, port: body.port, authenticator: body.authenticator, checkConnection: body.check_connection, sending: body.sending });
      return { success: true, already_exists: false, ping_success: r.pingSuccess, sending: r.sending };
    },
  }),
  route(peers.list, {
    level: 'ADMIN',
    summary: 'Peers, with whether they answer (when ping is true) and whether transfers to them are enabled.',
    handler: async ({ body, domain }) => {
      const list = await domain.peers.listWithPing(body.ping);
      return {
        librarians: list.map((p) => ({
          name: p.name,
          url: p.url,
          port: p.port,
          base_url: PeerRegistry.baseUrl(p.url, p.port),
          available: p.ping ? p.ping.ok : null,
          ping_error: p.ping && !p.ping.ok ? (p.ping.error ?? null) : null,
          enabled: p.transfersEnabled,
          sending: p.sending,
          last_seen: isoOrNull(p.lastSeen),
          last_heard: isoOrNull(p.lastHeard),
        })),
      };
    },
  }),
  route(peers.remove, {
    level: 'ADMIN',
    summary:
      'Remove a peer: sending to it stops, its clone batches in flight are cancelled and every unfinished transfer to it is failed (remove_outgoing_transfers is accepted for v2 clients; finished transfers are kept); remove_remote_instances is needed when copies there are recorded.',
    errors: [400, 409],
    statusAs: { 404: 400 },
    handler: async ({ body, flows }) => {
      const r = await flows.peers.remove(body.librarian_name, { removeRemoteInstances: body.remove_remote_instances });
      return { success: true as const, number_of_transfers_removed: r.transfersFailed, batches_cancelled: r.batchesCancelled };
    },
  }),
  ...[peers.transferStatusChange, peers.transferStatusSet].map((c) =>
    route(c, {
      level: 'ADMIN',
      summary:
        (c === peers.transferStatusSet ? 'The same as transfer_status/change (the v2 Python client posts here). ' : '') +
        'Pause (false) or resume (true) sending to a peer: no new batches, and batches in flight hold before their next step until resumed.',
      errors: [400],
      statusAs: { 404: 400 },
      handler: async ({ body, flows }) => {
        const held = await flows.peers.setPaused(body.librarian_name, !body.transfers_enabled);
        return { librarian_name: body.librarian_name, transfers_enabled: body.transfers_enabled, batches_signalled: held };
      },
    }),
  ),
  route(peers.cloneCancel, {
    level: 'ADMIN',
    summary: 'Cancel a clone batch in flight and wait for it to end: its Globus task is cancelled, its unfinished files are failed (offered again in a later batch) and the destination is told.',
    errors: [404, 409],
    handler: async ({ body, flows }) => {
      const r = await flows.clone.cancel(body.batch_id);
      return { batch_id: r.batchId, peer: r.peer, files_failed: r.filesFailed };
    },
  }),
  route(peers.cloneHistory, {
    level: 'ADMIN',
    summary: 'Finished data movements to peers (transfer records), newest first: bytes, files, duration and bandwidth of each batch, and totals per peer and method.',
    handler: async ({ body, domain }) => {
      const [records, totals] = await Promise.all([domain.transfers.records.list(body), domain.transfers.records.totals(body)]);
      return {
        records: records.map((r) => ({
          batch_id: r.batchId,
          peer: r.destination,
          method: r.method,
          task_id: r.taskId,
          source_endpoint_id: r.sourceEndpointId,
          destination_endpoint_id: r.destinationEndpointId,
          started: r.start.toISOString(),
          ended: r.end.toISOString(),
          seconds: r.seconds,
          bytes: r.bytes,
          files: r.files,
          bytes_per_second: r.bandwidthBps,
        })),
        totals: totals.map((t) => ({ peer: t.destination, method: t.method, batches: t.batches, files: t.files, bytes: t.bytes, seconds: t.seconds })),
      };
    },
  }),
  route(peers.cloneStatus, {
    level: 'ADMIN',
    summary: 'In-flight clone batches (phase, what each waits for, next retry) and, per peer, the files waiting and why.',
    errors: [404],
    handler: async ({ body, flows }) => {
      const s = await flows.clone.status(body.peer);
      return {
        peers: s.peers.map((p) => ({ name: p.name, enabled: p.enabled, in_flight_batches: p.inFlightBatches, max_batches: p.maxBatches, waiting_files: p.waitingFiles, waiting_reason: p.waitingReason })),
        batches: s.batches.map((b) => ({
          workflow_id: b.workflowId,
          peer: b.peer,
          phase: b.phase,
          paused: b.paused,
          method: b.method,
          globus_task_id: b.globusTaskId,
          files: b.files,
          bytes: b.bytes,
          started: b.started,
          waiting_for: b.waitingFor,
          next_retry: b.nextRetry,
        })),
      };
    },
  }),
  route(peers.cloneSend, {
    level: 'ADMIN',
    summary: "Run a peer's sending step now (what its Schedule does): start batches for files it lacks, within the caps.",
    errors: [404, 503],
    handler: async ({ body, flows }) => {
      const r = await flows.clone.sendNow(body.peer);
      return { peer: body.peer, batches_started: r.started, files: r.files ?? 0, batch_ids: r.batchIds ?? [], waiting: r.waiting ?? null };
    },
  }),
];
