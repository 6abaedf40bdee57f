/**
 * The manifest that travels with a SneakerNet drive: every file on it, as the source catalogues
 * it, with a checksum of the manifest itself so a damaged or edited copy is refused.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { badRequest } from '../../shared/errors';
import { safeRelativePath } from '../stores/localStore';

export const manifestEntrySchema = z.object({
  name: z.string(),
  create_time: z.string(),
  size: z.number().int().nonnegative(),
  checksum: z.string(),
  uploader: z.string(),
  source: z.string(),
  /** Path of the data relative to the drive store's root. */
  instance_path: z.string(),
  deletion_policy: z.number().int(),
  instance_create_time: z.string(),
  instance_available: z.boolean(),
  outgoing_transfer_id: z.number().int(),
});

export const manifestSchema = z.object({
  version: z.literal(1),
  /** The source Librarian (SO Librarian field name). */
  librarian_name: z.string(),
  source_librarian: z.string(),
  destination_librarian: z.string(),
  store_name: z.string(),
  trip_id: z.string(),
  created_time: z.string(),
  store_files: z.array(manifestEntrySchema),
  /** sha256 of the manifest without this field (canonical JSON), to detect damage. */
  manifest_checksum: z.string(),
});
export type Manifest = z.infer<typeof manifestSchema>;
export type ManifestEntry = z.infer<typeof manifestEntrySchema>;

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function manifestChecksum(m: Omit<Manifest, 'manifest_checksum'>): string {
  return `sha256:::${createHash('sha256').update(canonical(m)).digest('hex')}`;
}

/** Parses a manifest and checks its checksum; a damaged or edited manifest is refused. */
export function readManifest(raw: unknown): Manifest {
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw badRequest(`The manifest is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}.`, 'Use the file written by "librarian sneakernet manifest", unchanged.');
  }
  const { manifest_checksum, ...rest } = parsed.data;
  if (manifestChecksum(rest) !== manifest_checksum) {
    throw badRequest('The manifest does not match its checksum: it was damaged or edited.', 'Use an intact copy of the manifest (the source can write it again: running "librarian sneakernet manifest" twice gives the same one).');
  }
  for (const e of parsed.data.store_files) safeRelativePath(e.instance_path, 'instance path');
  return parsed.data;
}
