/**
 * A store on a locally mounted filesystem: a staging root where incoming data lands in UUID
 * directories, and a store root holding committed data at its File name.
 */
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { LocalStoreSettings } from '../../config/stores';
import { badRequest } from '../../shared/errors';
import { safeRelativePath } from '../../shared/names';
import { makeDirs } from './files';

export { safeRelativePath } from '../../shared/names';

async function freeBytes(dir: string): Promise<{ free: number; total: number }> {
  const s = await fs.statfs(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

async function isDirectory(p: string): Promise<boolean> {
  try {
    return (await fs.stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export class LocalStore {
  constructor(
    readonly name: string,
    readonly settings: LocalStoreSettings,
  ) {}

  get stagingRoot(): string {
    return this.settings.stagingPath;
  }

  get storeRoot(): string {
    return this.settings.storePath;
  }

  async available(): Promise<boolean> {
    return (await isDirectory(this.stagingRoot)) && (await isDirectory(this.storeRoot));
  }

  /**
   * Bytes that may still be written, honouring reportFullFraction on both roots;
   * -1 when the store is not mounted.
   */
  async freeSpace(): Promise<number> {
    if (!(await this.available())) return -1;
    const reserve = (d: { free: number; total: number }) => d.free - d.total * (1 - this.settings.reportFullFraction);
    const [store, staging] = await Promise.all([freeBytes(this.storeRoot), freeBytes(this.stagingRoot)]);
    return Math.max(Math.floor(Math.min(reserve(store), reserve(staging))), 0);
  }

  /** Absolute path inside the store root for a File name. */
  storePathFor(name: string): string {
    return path.join(this.storeRoot, safeRelativePath(name, 'destination path'));
  }

  /** Absolute path of a staging directory (a UUID we created). */
  stagingDirFor(stagingName: string): string {
    if (!/^[0-9a-f-]{36}$/.test(stagingName)) throw badRequest(`"${stagingName}" is not a staging directory name.`, 'Use the staging_name returned by the stage call.');
    return path.join(this.stagingRoot, stagingName);
  }

  /**
   * Resolves symlinks in the existing part of `p` and checks the result is still under `root`,
   * so a link planted inside a store cannot redirect writes or reads elsewhere.
   */
  async assertInside(root: string, p: string): Promise<void> {
    const realRoot = await fs.realpath(root);
    let probe = p;
    let rest = '';
    for (;;) {
      try {
        const real = await fs.realpath(probe);
        const full = path.join(real, rest);
        if (full !== realRoot && !full.startsWith(realRoot + path.sep)) {
          throw badRequest(`The path ${p} leaves the store through a symbolic link.`, 'Remove the link or choose another destination path.');
        }
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        rest = path.join(path.basename(probe), rest);
        const parent = path.dirname(probe);
        if (parent === probe) return;
        probe = parent;
      }
    }
  }

  /**
   * Creates the staging directory of one transfer. With groupWriteAfterStage it is made group
   * writable whatever the server's umask, so clients of the same group can copy into it.
   */
  async makeStagingDir(stagingName: string): Promise<string> {
    const stagingDir = this.stagingDirFor(stagingName);
    await makeDirs(this.stagingRoot);
    await fs.mkdir(stagingDir, { mode: 0o775 }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    if (this.settings.groupWriteAfterStage) await fs.chmod(stagingDir, 0o775);
    return stagingDir;
  }

  /** Writes and removes a probe file in both roots. */
  async probeWritable(): Promise<{ writable: boolean; error?: string }> {
    for (const root of [this.stagingRoot, this.storeRoot]) {
      const probe = path.join(root, `.librarian-probe-${randomUUID()}`);
      try {
        await fs.writeFile(probe, 'ok');
        await fs.rm(probe);
        await fs.access(root, fsConstants.W_OK);
      } catch (e) {
        return { writable: false, error: `${root}: ${(e as Error).message}` };
      }
    }
    return { writable: true };
  }
}
