/**
 * The manifest that travels with a SneakerNet drive: every file on it, as the source catalogues
 * it, with a checksum of the manifest itself so a damaged or edited copy is refused.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { driveManifest, manifestEntry, type driveManifestFields, type manifestEntryFields } from '../../protocol/sneakernet';
import { badRequest } from '../../shared/errors';
import { safeRelativePath } from '../stores/localStore';

/** The protocol's (the manifest goes over HTTP to the CLI, and from the drive to ingest). */
export const manifestEntrySchema = manifestEntry;
export const manifestSchema = driveManifest;
/** Fields this version knows (a parsed manifest keeps the others, which its checksum covers). */
export type Manifest = Omit<z.output<typeof driveManifestFields>, 'store_files'> & { store_files: ManifestEntry[] };
export type ManifestEntry = z.output<typeof manifestEntryFields>;

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
