/**
 * Stores as configured (librarian.yaml) and as kept in the catalog's stores table (typed JSON):
 * one definition for both, so `librarian setup` writes exactly what the server reads back.
 */
import { z } from 'zod';
import { LIBRARIAN_NAME_PATTERN, MAX_LIBRARIAN_NAME_LENGTH } from '../shared/names';

/** A store's settings, as configured (librarian.yaml) and as kept in the catalog (typed JSON). */
export const localStoreSettingsSchema = z.object({
  stagingPath: z.string().min(1),
  storePath: z.string().min(1),
  /** Report the store full when it is this fraction full (1.0 = only when the disk is full). */
  reportFullFraction: z.number().min(0).max(1).default(1),
  groupWriteAfterStage: z.boolean().default(false),
  /** Copy (and re-verify) instead of move at commit, then chown to the server's user. */
  ownAfterCommit: z.boolean().default(false),
  /** Copy (and re-verify) instead of move at commit, then make the data read-only. */
  readonlyAfterCommit: z.boolean().default(false),
  maxCopyRetries: z.number().int().min(1).default(3),
  /**
   * Accept an upload that its client copied into staging (upload --via copy) on the checksum the
   * client declared, checking only sizes, instead of hashing the staged copy again. Only for
   * stores whose staging area is on a filesystem trusted not to damage data on the way: with the
   * default (false) a copy that differs from its source is found and refused at commit.
   */
  trustClientCopies: z.boolean().default(false),
  /** Report the store full once the catalogued data on it reaches this many bytes (a drive, or a share of a disk). */
  capacityBytes: z.number().int().positive().optional(),
});
export type LocalStoreSettings = z.output<typeof localStoreSettingsSchema>;

/** How data can reach a store: what a receiving Librarian offers to senders. */
export const transferMethodsSchema = z.object({
  /** Hosts that share this store's filesystem; empty means any host that can see the paths. */
  local: z.object({ hostnames: z.array(z.string()).default([]) }).optional(),
  globus: z
    .object({
      /** Globus collection (endpoint) id through which this store's staging area is reachable. */
      endpointId: z.string().uuid(),
      /** Absolute local path that the collection's "/" maps to (paths are sent relative to it). */
      root: z.string().default('/'),
    })
    .optional(),
});
export type TransferMethods = z.output<typeof transferMethodsSchema>;

/** Librarian and store names: parts of workflow ids, which Temporal limits (src/shared/names.ts). */
export const nameSchema = z
  .string()
  .max(MAX_LIBRARIAN_NAME_LENGTH)
  .regex(LIBRARIAN_NAME_PATTERN, 'use letters, digits, ".", "_" and "-" only, starting with a letter or digit');

export const storeConfigSchema = localStoreSettingsSchema.extend({
  name: nameSchema,
  type: z.literal('local').default('local'),
  /** Accepts fresh uploads and clones; backup and SneakerNet drives do not. */
  ingestable: z.boolean().default(true),
  /** Initial state; afterwards operators toggle it (`librarian stores enable|disable`). */
  enabled: z.boolean().default(true),
  transferMethods: transferMethodsSchema.prefault({ local: {} }),
});

