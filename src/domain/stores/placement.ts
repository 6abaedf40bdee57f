/**
 * Putting verified data at its final path in a store: a rename, or a copy that is verified again
 * when the store changes ownership or permissions (or lives on another filesystem). Used by
 * uploads, clones, drive ingests and local clones alike.
 */
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger';
import { parseChecksum, sameChecksum, type ChecksumPool, type HashOptions } from '../../shared/checksums';
import { conflict, LibrarianError, notAcceptable } from '../../shared/errors';
import { chownTree, exists, makeDirs, makeReadOnly, removeEmptyDirs, removeTree } from './files';
import type { LocalStore } from './localStore';

export type Progress = Pick<HashOptions, 'onProgress' | 'signal'>;

export class Placement {
  constructor(
    private readonly checksums: ChecksumPool,
    private readonly log: Logger,
  ) {}

  /**
   * Moves `staged` to `final` in `store`. Safe to repeat after a crash: data already at `final`
   * is recognised (and checked again when the staged copy is gone).
   */
  async place(store: LocalStore, staged: string, final: string, checksum: string, opts: Progress = {}): Promise<void> {
    const copyMode = store.settings.ownAfterCommit || store.settings.readonlyAfterCommit;
    if (await exists(staged)) {
      if (await exists(final)) {
        // Only a previous attempt that copied (copy mode, or across filesystems) and crashed before
        // removing the staged data leaves both; anything else at `final` is not ours to replace.
        if (!(await this.holds(final, checksum, opts))) {
          throw conflict(`Store "${store.name}" already holds other data at ${final}.`, 'Choose another destination name; operators can inspect that path (it may be data no instance describes).');
        }
      } else {
        const parent = path.dirname(final);
        // The first directory mkdir made, if any: removed again (while empty) when the move fails.
        const made = await makeDirs(parent);
        try {
          let moved = false;
          if (!copyMode) {
            try {
              await fs.rename(staged, final);
              moved = true;
            } catch (e) {
              if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
            }
          }
          if (!moved) await this.copyVerified(staged, final, checksum, store, opts);
        } catch (e) {
          if (made) await removeEmptyDirs(parent, made);
          throw e;
        }
      }
    } else if (await exists(final)) {
      // A previous attempt moved it and crashed before cataloguing: check it before trusting it.
      const again = await this.checksums.hashPath(final, parseChecksum(checksum).algorithm, opts);
      if (!sameChecksum(again.checksum, checksum)) {
        await removeTree(final);
        throw notAcceptable(`The data at ${final} no longer matches ${checksum}.`, 'Send the file again.');
      }
    } else {
      throw new LibrarianError(500, `The staged data is gone from ${staged}.`, 'Send the file again.');
    }
    if (store.settings.readonlyAfterCommit) await makeReadOnly(final);
  }

  private async holds(p: string, checksum: string, opts: Progress): Promise<boolean> {
    const found = await this.checksums.hashPath(p, parseChecksum(checksum).algorithm, opts).catch((e: unknown) => {
      if (e instanceof LibrarianError) return undefined; // not a regular file or directory
      throw e;
    });
    return found !== undefined && sameChecksum(found.checksum, checksum);
  }

  /**
   * Puts verified data in place of a damaged copy at `final`. The damaged data is moved aside
   * first and removed only once the new copy is in place, so a crash at any point leaves either
   * the damaged copy or the new one at `final`, never neither. Safe to repeat.
   */
  async replace(store: LocalStore, staged: string, final: string, checksum: string, opts: Progress = {}): Promise<void> {
    const aside = path.join(path.dirname(final), `.librarian-damaged-${path.basename(final)}`);
    if ((await exists(staged)) && (await exists(final))) {
      await removeTree(aside);
      await fs.rename(final, aside);
    }
    await this.place(store, staged, final, checksum, opts);
    await removeTree(aside);
  }

  /** Copies into a temporary name next to the destination, verifies, then renames into place. */
  private async copyVerified(from: string, to: string, checksum: string, store: LocalStore, opts: Progress): Promise<void> {
    const algorithm = parseChecksum(checksum).algorithm;
    const tries = store.settings.maxCopyRetries;
    // A fixed name per destination: a copy cut short by a crash is found and replaced on retry.
    const tmp = path.join(path.dirname(to), `.librarian-incoming-${path.basename(to)}`);
    for (let attempt = 1; ; attempt++) {
      await removeTree(tmp);
      try {
        await fs.cp(from, tmp, { recursive: true, errorOnExist: true, force: false, mode: fsConstants.COPYFILE_FICLONE });
        const copy = await this.checksums.hashPath(tmp, algorithm, opts);
        if (sameChecksum(copy.checksum, checksum)) {
          await fs.rename(tmp, to);
          if (store.settings.ownAfterCommit && process.getuid && process.getgid) await chownTree(to, process.getuid(), process.getgid());
          await removeTree(from);
          return;
        }
        this.log.warn({ to, attempt, expected: checksum, got: copy.checksum }, 'copy into the store did not verify');
      } finally {
        await removeTree(tmp);
      }
      if (attempt >= tries) {
        throw notAcceptable(`Copying into the store did not verify after ${tries} attempts.`, 'Operators: check the store disk for errors. Then upload the file again.');
      }
    }
  }
}
