import { z } from 'zod';
import { call, time } from './call';
import { accountName } from './fields';

/** A peer's name: also its account here (for its callbacks), so at most 256 characters. */
const name = accountName;

export const add = call(
  'admin/librarians/add',
  z.object({
    librarian_name: name,
    url: z.string().min(1).max(2048),
    port: z.number().int().min(1).max(65535),
    /** "user:password": our account on the peer, encrypted at rest (HTTP Basic: at most 4096 bytes). */
    authenticator: z.string().min(3).max(4096),
    check_connection: z.boolean().default(true),
    /**
     * Not from v2 clients. Whether we send clones to it (false: we only receive from it, and no
     * sending Schedule runs). Absent: true, unless its ping says our account there may not upload.
     */
    sending: z.boolean().optional(),
  }),
  z.object({
    // Ours refuse (400) what v2 servers answer 200 with success false: a name in use, a failed ping.
    success: z.boolean(),
    already_exists: z.boolean(),
    /** Null when the peer was not pinged. */
    ping_success: z.boolean().nullable(),
    /** Not from v2 servers: whether we send to it, as decided. */
    sending: z.boolean().optional(),
  }),
);

export const list = call(
  'admin/librarians/list',
  z.object({ ping: z.boolean().default(true) }),
  z.object({
    librarians: z.array(
      z.object({
        name: z.string(),
        url: z.string(),
        port: z.number().int(),
        /** Not from v2 servers (nor the fields below but `enabled`). */
        base_url: z.string().optional(),
        /** Null when not pinged. */
        available: z.boolean().nullable(),
        ping_error: z.string().nullish(),
        /** Whether transfers to it are enabled (not paused). */
        enabled: z.boolean(),
        /** Whether we send clones to it at all (false: we only receive from it). */
        sending: z.boolean().optional(),
        /** When it last answered our ping. */
        last_seen: time.nullish(),
        /** When it last called us. */
        last_heard: time.nullish(),
      }),
    ),
  }),
);

export const remove = call(
  'admin/librarians/remove',
  z.object({ librarian_name: name, remove_outgoing_transfers: z.boolean().default(false), remove_remote_instances: z.boolean().default(false) }),
  z.object({
    success: z.literal(true),
    /** Unfinished transfers to it that were failed (those of cancelled batches included). */
    number_of_transfers_removed: z.number().int(),
    /** Not from v2 servers: clone batches in flight that were cancelled. */
    batches_cancelled: z.number().int().optional(),
  }),
);

const transferStatusRequest = z.object({ librarian_name: name, transfers_enabled: z.boolean() });
const transferStatusAnswer = z.object({
  librarian_name: z.string(),
  transfers_enabled: z.boolean(),
  /** Batches in flight told to hold or go on. Not from v2 servers. */
  batches_signalled: z.number().int().optional(),
});

/** Pause (false) or resume (true) sending to a peer. */
export const transferStatusChange = call('admin/librarians/transfer_status/change', transferStatusRequest, transferStatusAnswer);
/** The same: where the v2 Python client posts (v2 servers answer it 404). */
export const transferStatusSet = call('admin/librarians/transfer_status/set', transferStatusRequest, transferStatusAnswer);

/** Not on v2 servers. */
export const cloneStatus = call(
  'admin/clone/status',
  z.object({ peer: z.string().optional() }),
  z.object({
    peers: z.array(
      z.object({
        name: z.string(),
        enabled: z.boolean(),
        in_flight_batches: z.number().int(),
        max_batches: z.number().int(),
        waiting_files: z.number().int(),
        /** Null when no file waits. */
        waiting_reason: z.string().nullable(),
      }),
    ),
    batches: z.array(
      z.object({
        workflow_id: z.string(),
        /** Null for a batch started without its search attributes. */
        peer: z.string().nullable(),
        /** Null until the batch answers its state query. */
        phase: z.string().nullable(),
        paused: z.boolean(),
        method: z.string().nullable(),
        globus_task_id: z.string().nullable(),
        files: z.number().int().nullable(),
        bytes: z.number().int().nonnegative().nullable(),
        started: time,
        waiting_for: z.string(),
        next_retry: time.nullable(),
      }),
    ),
  }),
);

const method = z.enum(['globus', 'local']);

/** Not on v2 servers. */
export const cloneHistory = call(
  'admin/clone/history',
  z.object({ peer: z.string().min(1).optional(), method: method.optional(), limit: z.number().int().positive().max(10_000).default(100) }),
  z.object({
    /** Newest first. */
    records: z.array(
      z.object({
        batch_id: z.string(),
        peer: z.string(),
        method: z.string(),
        /** The Globus task, or "local-<batch>". */
        task_id: z.string(),
        source_endpoint_id: z.string().nullable(),
        destination_endpoint_id: z.string().nullable(),
        started: time,
        ended: time,
        seconds: z.number().nonnegative(),
        bytes: z.number().int().nonnegative(),
        files: z.number().int().nonnegative(),
        /** Bytes over the whole duration, waits included. */
        bytes_per_second: z.number().nonnegative(),
      }),
    ),
    /** All time, per peer and method, under the same filter. */
    totals: z.array(
      z.object({ peer: z.string(), method: z.string(), batches: z.number().int(), files: z.number().int(), bytes: z.number().int().nonnegative(), seconds: z.number().nonnegative() }),
    ),
  }),
);

/** Not on v2 servers. */
export const cloneCancel = call(
  'admin/clone/cancel',
  z.object({ batch_id: z.string().min(1).max(1000) }),
  z.object({
    batch_id: z.string(),
    peer: z.string().nullable(),
    /** Its unfinished files, now FAILED (offered again in a later batch). */
    files_failed: z.number().int(),
  }),
);

/** Not on v2 servers. */
export const cloneSend = call(
  'admin/clone/send',
  z.object({ peer: name }),
  z.object({
    peer: z.string(),
    batches_started: z.number().int(),
    files: z.number().int(),
    batch_ids: z.array(z.string()),
    /** Why nothing was started (the peer is paused, the caps are reached). */
    waiting: z.string().nullable(),
  }),
);
