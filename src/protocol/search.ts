import { z } from 'zod';
import { call, time, timeInput } from './call';
import { catalogId } from './fields';
import { policyValue as policyInput } from './uploads';

const maxResults = z.number().int().nonnegative().optional();

/** v2 clients send deletion policies as names (any case) or as 0/1. */
const policyFilter = policyInput.optional();

/** 0 DISALLOWED, 1 ALLOWED, as v2 sends them. */
const policyValue = z.union([z.literal(0), z.literal(1)]);

export const fileInstance = z.object({
  path: z.string(),
  /** v2 peers read it (wire-v2.md §2.4 #12); v2 may send null. */
  store_id: z.number().int().nullish(),
  /** Not from v2 servers. */
  store_name: z.string().optional(),
  deletion_policy: policyValue,
  created_time: time,
  available: z.boolean(),
  /** When its checksum was last verified. Not from v2 servers. */
  checksum_time: time.nullish(),
});

export const fileFound = z.object({
  name: z.string(),
  create_time: time,
  size: z.number().int().nonnegative(),
  checksum: z.string(),
  uploader: z.string(),
  source: z.string(),
  instances: z.array(fileInstance),
  remote_instances: z.array(z.object({ librarian_name: z.string(), store_id: z.number().int().nullish(), copy_time: time })),
});

/**
 * Files, newest first, matching every filter given. The X-Next-Cursor header carries the next
 * page's cursor. v2 servers ignore name_prefix and cursor (and send no such header).
 */
export const file = call(
  'search/file',
  z.object({
    name: z.string().optional(),
    name_prefix: z.string().optional(),
    uploader: z.string().optional(),
    source: z.string().optional(),
    create_time_window: z.tuple([timeInput, timeInput]).optional(),
    max_results: maxResults,
    cursor: z.string().optional(),
  }),
  z.array(fileFound),
);

export const instanceLocal = call(
  'search/instance_local',
  z.object({
    id: catalogId.optional(),
    path: z.string().optional(),
    deletion_policy: policyFilter,
    created_time: timeInput.optional(),
    file_name: z.string().optional(),
    store_id: catalogId.optional(),
    available: z.boolean().optional(),
    max_results: maxResults,
  }),
  z.array(
    z.object({
      id: z.number().int(),
      path: z.string(),
      file_name: z.string(),
      store_id: z.number().int(),
      /** Not from v2 servers. */
      store_name: z.string().optional(),
      deletion_policy: policyValue,
      created_time: time,
      available: z.boolean(),
      /** Not from v2 servers. */
      checksum_time: time.nullish(),
    }),
  ),
);

export const instanceRemote = call(
  'search/instance_remote',
  z.object({
    id: catalogId.optional(),
    file_name: z.string().optional(),
    store_id: catalogId.optional(),
    librarian_id: catalogId.optional(),
    copy_time: timeInput.optional(),
    sender: z.string().optional(),
    max_results: maxResults,
  }),
  z.array(z.object({ id: z.number().int(), file_name: z.string(), store_id: z.number().int(), librarian_name: z.string(), copy_time: time, sender: z.string() })),
);
