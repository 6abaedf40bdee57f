import { z } from 'zod';
import { MAX_VALIDATION_HOPS } from '../shared/names';
import { call, time } from './call';
import { librarianName } from './fields';

/** One copy's verdict. v2 reads librarian and computed_same_checksum; the rest is ours or informative. */
export const item = z.object({
  librarian: z.string(),
  store: z.number().int(),
  /** Not from v2 peers. */
  store_name: z.string().optional(),
  instance_id: z.number().int(),
  /** Not from v2 peers. */
  path: z.string().optional(),
  original_checksum: z.string(),
  original_size: z.number().int().nonnegative(),
  current_checksum: z.string().nullable(),
  current_size: z.number().int().nonnegative().nullable(),
  computed_same_checksum: z.boolean(),
  /** When the current checksum was computed; absent from v2 peers (they cache for up to a day). */
  checksum_time: time.nullish(),
  cached: z.boolean().optional(),
  /** unreachable: its store is not mounted, or the peer did not answer. */
  state: z.enum(['good', 'lost', 'corrupt', 'unreachable']).optional(),
  error: z.string().optional(),
});
export type ValidationItem = z.output<typeof item>;

export const file = call(
  'validate/file',
  z.object({
    file_name: z.string(),
    /**
     * Hash again even when a verified checksum is younger than the cache lifetime. Our callers
     * always send it (false too): a request with file_name alone is a v2 caller's, which is not
     * given copies without a current checksum (v2 types current_checksum/current_size non-null).
     */
    force: z.boolean().optional(),
    /** Also ask every peer that holds a copy (they ask theirs, down to `depth` hops). */
    peers: z.boolean().optional(),
    /** Hops left (default 3); a peer asked with depth 0 answers for itself only. */
    depth: z.number().int().min(0).optional(),
    /**
     * Librarians already asked on this path: never asked again (cycles). At most the hops a
     * validation goes, as each adds its own name; they name its workflow.
     */
    visited: z.array(librarianName).max(MAX_VALIDATION_HOPS).optional(),
  }),
  z.array(item),
);
