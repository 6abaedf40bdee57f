import { closeSync, ftruncateSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checksumOf } from './data';
import type { LibrarianHandle } from './librarian';

/** A sparse file of zeros: written at once, hashed in seconds, so its commit is long enough to interrupt. */
function sparse(file: string, size: number): void {
  const fd = openSync(file, 'w');
  ftruncateSync(fd, size);
  closeSync(fd);
}

/** The md5 of `size` zero bytes, as the upload declares it. */
export async function zerosChecksum(size: number): Promise<{ checksum: string; size: number }> {
  const probe = path.join(os.tmpdir(), `zeros-${process.pid}`);
  sparse(probe, size);
  try {
    return await checksumOf(probe, 'md5');
  } finally {
    rmSync(probe);
  }
}

export interface StagedZeros {
  transfer_id: number;
  staging_location: string;
}

/** Stages `zeros` as `dest` and puts the sparse file in staging (the local-copy method). */
export async function stageZeros(lib: LibrarianHandle, dest: string, zeros: { checksum: string; size: number }): Promise<StagedZeros> {
  const s = await lib.client().post<StagedZeros>('upload/stage', { upload_size: zeros.size, upload_checksum: zeros.checksum, upload_name: path.basename(dest), destination_location: dest });
  sparse(s.staging_location, zeros.size);
  return s;
}
