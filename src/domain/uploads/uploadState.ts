/**
 * What an HTTP upload has received, kept beside the data in its staging directory: per file,
 * the size, mtime and digest computed while the bytes were written. Verification reuses a digest
 * only while the file's size and mtime are unchanged, so the data is read once, as it arrives.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Algorithm } from '../../shared/checksums';

export const UPLOAD_STATE_FILE = '.librarian-upload-state.json';

export interface UploadState {
  kind: 'file' | 'directory';
  algorithm: Algorithm;
  /** Relative path inside the upload ("" for a single file) → what was received. */
  files: Record<string, { size: number; mtimeMs: number; digest: string }>;
}

export async function readUploadState(stagingDir: string): Promise<UploadState | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(stagingDir, UPLOAD_STATE_FILE), 'utf8')) as UploadState;
  } catch {
    return undefined;
  }
}

export async function writeUploadState(stagingDir: string, state: UploadState): Promise<void> {
  const file = path.join(stagingDir, UPLOAD_STATE_FILE);
  const tmp = `${file}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(state));
  await fs.rename(tmp, file);
}
