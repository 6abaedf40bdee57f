import { z } from 'zod';
import { PeerRegistry } from '../../domain/peers/registry';
import { endpoint } from '../endpoint';

const nameSchema = z.string().min(1);

export const peerEndpoints = [
  endpoint({
    path: '/admin/librarians/add',
    level: 'ADMIN',
    summary: 'Register a peer Librarian with our credentials on it ("user:password", encrypted at rest). Pings it first unless check_connection is false.',
    body: z.object({
      librarian_name: nameSchema,
      url: z.string().min(1),
      port: z.number().int().min(1).max(65535),
      authenticator: z.string().min(3),
      check_connection: z.boolean().default(true),
    }),
    errors: [400, 503],
    statusAs: { 409: 400 },
    handler: async ({ body, flows }) => {
      const r = await flows.peers.add({ name: body.librarian_name, url: body.url, port: body.port, authenticator: body.authenticator, checkConnection: body.check_connection });
      return { success: true, already_exists: false, ping_success: r.pingSuccess };
    },
  }),
  endpoint({
    path: '/admin/librarians/list',
    level: 'ADMIN',
    summary: 'Peers, with whether they answer (when ping is true) and whether transfers to them are enabled.',
    body: z.object({ ping: z.boolean().default(true) }),
    handler: async ({ body, domain }) => {
      const peers = await domain.peers.listWithPing(body.ping);
      return {
        librarians: peers.map((p) => ({
          name: p.name,
          url: p.url,
          port: p.port,
          base_url: PeerRegistry.baseUrl(p.url, p.port),
          available: p.ping ? p.ping.ok : null,
          ping_error: p.ping && !p.ping.ok ? (p.ping.error ?? null) : null,
          enabled: p.transfersEnabled,
          last_seen: p.lastSeen,
          last_heard: p.lastHeard,
        })),
      };
    },
  }),
  endpoint({
    path: '/admin/librarians/remove',
    level: 'ADMIN',
    summary: 'Remove a peer. remove_outgoing_transfers fails its unfinished outgoing transfers (finished ones are kept); remove_remote_instances is needed when copies there are recorded.',
    body: z.object({ librarian_name: nameSchema, remove_outgoing_transfers: z.boolean().default(false), remove_remote_instances: z.boolean().default(false) }),
    errors: [400, 409],
    statusAs: { 404: 400 },
    handler: async ({ body, flows }) => {
      const r = await flows.peers.remove(body.librarian_name, { removeOutgoingTransfers: body.remove_outgoing_transfers, removeRemoteInstances: body.remove_remote_instances });
      return { success: true, number_of_transfers_removed: r.transfersFailed };
    },
  }),
  ...['change', 'set'].map((verb) =>
    endpoint({
      path: `/admin/librarians/transfer_status/${verb}`,
      level: 'ADMIN',
      summary:
        (verb === 'set' ? 'The same as transfer_status/change (the v2 Python client posts here). ' : '') +
        'Pause (false) or resume (true) sending to a peer: no new batches, and batches in flight hold before their next step until resumed.',
      body: z.object({ librarian_name: nameSchema, transfers_enabled: z.boolean() }),
      errors: [400],
      statusAs: { 404: 400 },
      handler: async ({ body, flows }) => {
        const held = await flows.peers.setPaused(body.librarian_name, !body.transfers_enabled);
        return { librarian_name: body.librarian_name, transfers_enabled: body.transfers_enabled, batches_signalled: held };
      },
    }),
  ),
  endpoint({
    path: '/admin/clone/status',
    level: 'ADMIN',
    summary: 'In-flight clone batches (phase, what each waits for, next retry) and, per peer, the files waiting and why.',
    body: z.object({ peer: z.string().optional() }),
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
  endpoint({
    path: '/admin/clone/send',
    level: 'ADMIN',
    summary: "Run a peer's sending step now (what its Schedule does): start batches for files it lacks, within the caps.",
    body: z.object({ peer: nameSchema }),
    errors: [404, 503],
    handler: async ({ body, flows }) => {
      const r = await flows.clone.sendNow(body.peer);
      return { peer: body.peer, batches_started: r.started, files: 'files' in r ? r.files : 0, batch_ids: 'batchIds' in r ? r.batchIds : [], waiting: 'waiting' in r ? r.waiting : null };
    },
  }),
];
