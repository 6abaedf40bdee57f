/**
 * Streamed HTTP upload into a staging area, hashing in the same pass as writing.
 *
 * - A file is sent as the request body (any content type but application/x-tar). Sending
 *   `Upload-Offset: N` resumes at byte N, which must be exactly what the server holds (see
 *   upload/status); without it the upload starts again from byte 0.
 * - A directory is sent as a tar stream (Content-Type: application/x-tar) of its contents, paths
 *   relative to the directory. Each complete file is recorded; a file cut off by a broken
 *   connection is discarded. To resume, send a tar of the files upload/status does not list.
 */
import { constants, createReadStream, createWriteStream, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { createHasher, DEFAULT_ALGORITHM, parseChecksum, type Algorithm } from '../../shared/checksums';
import { badRequest, conflict, insufficientStorage, isLibrarianError, LibrarianError } from '../../shared/errors';
import { MAX_ENTRY_BYTES, safeRelativePath } from '../../shared/names';
import type { IncomingTransfers } from '../transfers/incoming';
import type { Principal } from '../users/users';
import type { UploadService } from './uploads';
import { type JournalKey, UploadJournal, writeUploadState } from './uploadState';

export interface ReceiveRequest {
  transferId: number;
  principal: Principal;
  body: Readable;
  contentType: string | undefined;
  /** Upload-Offset header, for resuming a file. */
  offset: number | undefined;
}

export interface ReceiveResult {
  transferId: number;
  receivedBytes: number;
  uploadSize: number;
  receivedFiles?: number;
  complete: boolean;
}

function diskError(e: unknown, received: number): never {
  if ((e as NodeJS.ErrnoException).code === 'ENOSPC' || (e as NodeJS.ErrnoException).code === 'EDQUOT') {
    throw insufficientStorage('The staging disk is full.', 'Nothing received so far is lost: resume the upload (upload/status gives the offset) once the operators have freed space.', {
      received_bytes: received,
    });
  }
  throw e;
}

async function hashPrefix(file: string, length: number, algorithm: Algorithm) {
  const hasher = createHasher(algorithm);
  if (length > 0) for await (const c of createReadStream(file, { start: 0, end: length - 1, highWaterMark: 1 << 20 })) hasher.update(c as Buffer);
  return hasher;
}

/** Tar members up to this size are read whole and written at once. */
const SMALL_MEMBER = 1 << 20;
const WRITE_MEMBER = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

/** How often a request that is receiving data renews its claim on the transfer. */
const RENEW_EVERY_MS = 10_000;

export class UploadReceiver {
  constructor(
    private readonly uploads: UploadService,
    private readonly incoming: IncomingTransfers,
  ) {}

  async receive(req: ReceiveRequest): Promise<ReceiveResult> {
    const t = await this.uploads.owned(req.principal, req.transferId);
    if (t.status !== 'INITIATED' && t.status !== 'ONGOING') {
      throw conflict(`Transfer ${t.id} is ${t.status}; data can only be sent before it is committed.`, 'Stage the upload again to send new data.');
    }
    const claim = await this.incoming.claimReceiving(t.id);
    const renewing = setInterval(() => void claim.renew().catch(() => undefined), RENEW_EVERY_MS);
    try {
      const { dir, location } = await this.incoming.staging(t);
      if (!(await fs.stat(dir).catch(() => undefined))) {
        throw conflict(`The staging area of transfer ${t.id} no longer exists.`, 'The upload failed or timed out; stage it again.');
      }
      await this.incoming.ongoing(t.id, 'http');
      // Staged without a checksum (declared at commit): hashed with the default algorithm, which
      // the commit reuses when the declared checksum uses it too, and hashes again otherwise.
      const algorithm = t.transferChecksum === null ? DEFAULT_ALGORITHM : parseChecksum(t.transferChecksum).algorithm;
      const size = Number(t.transferSize);
      if ((req.contentType ?? '').split(';')[0]!.trim() === 'application/x-tar') {
        return await receiveDirectory(t.id, t.journalKey, dir, location, algorithm, size, req.body);
      }
      return await receiveFile(t.id, t.journalKey, dir, location, algorithm, size, req);
    } finally {
      clearInterval(renewing);
      await claim.release();
    }
  }
}

async function receiveFile(transferId: number, journalKey: JournalKey, stagingDir: string, target: string, algorithm: Algorithm, size: number, req: ReceiveRequest): Promise<ReceiveResult> {
  const st = await fs.lstat(target).catch(() => undefined);
  if (st && !st.isFile()) throw conflict(`Transfer ${transferId} already holds a directory.`, 'Send the directory as a tar stream (Content-Type: application/x-tar).');
  const have = st?.size ?? 0;
  const start = req.offset ?? 0;
  if (req.offset !== undefined && req.offset !== have) {
    throw conflict(`Upload-Offset ${req.offset} does not match the ${have} bytes the server holds.`, `Resume from byte ${have} (Upload-Offset: ${have}).`, { received_bytes: have });
  }
  const hasher = await hashPrefix(target, start, algorithm);
  let position = start;
  // Hash each chunk as it passes on its way to the file: one read of the network, one write.
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (position + chunk.length > size) {
        cb(badRequest(`More data than the declared upload size of ${size} bytes.`, 'Send exactly upload_size bytes, or stage the upload again with the right size.', { received_bytes: start }));
        return;
      }
      hasher.update(chunk);
      position += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    // flush: fsync before the stream closes, so a completed request is on disk.
    await pipeline(req.body, meter, createWriteStream(target, { flags: start === 0 ? 'w' : 'r+', start, flush: true, highWaterMark: 4 << 20 }));
  } catch (e) {
    if (isLibrarianError(e) && e.status === 400) {
      await fs.truncate(target, start);
      throw e;
    }
    // What reached the disk survives a broken connection: it is the resume point.
    diskError(e, (await fs.stat(target)).size);
  }
  if (position === size) {
    const after = await fs.stat(target);
    await writeUploadState(stagingDir, { kind: 'file', algorithm, files: { '': { size: after.size, mtimeMs: after.mtimeMs, ctimeMs: after.ctimeMs, digest: hasher.digest() } } }, journalKey);
  }
  return { transferId, receivedBytes: position, uploadSize: size, complete: position === size };
}

/** "a/b/c" → ["a", "a/b"]. */
function ancestorsOf(rel: string): string[] {
  const out: string[] = [];
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) out.push(rel.slice(0, i));
  return out;
}

async function receiveDirectory(transferId: number, journalKey: JournalKey, stagingDir: string, root: string, algorithm: Algorithm, size: number, body: Readable): Promise<ReceiveResult> {
  const heldFile = () => conflict(`Transfer ${transferId} already holds a file.`, 'Send a file as the plain request body, not as a tar stream.');
  if ((await fs.lstat(root).catch(() => undefined))?.isFile()) throw heldFile();
  const journal = await UploadJournal.open(stagingDir, { kind: 'directory', algorithm }, journalKey);
  if (journal.state.kind === 'file') {
    await journal.close();
    throw heldFile();
  }
  await fs.mkdir(root, { recursive: true });
  const total = () => journal.receivedBytes;
  const hasher = createHasher(algorithm);
  const extract = tar.extract();
  let current: string | undefined;
  /** What this stream made of each path it named: a file, or a directory (named, or holding something named). */
  const named = new Map<string, 'file' | 'directory'>();
  /** Directories this request has checked or made ("" is the upload's root). */
  const ready = new Set<string>(['']);

  /**
   * Makes `rel` a directory. A file (or anything else) there was left by an earlier request of
   * this upload and is replaced: a resumed stream's entries replace what they name.
   */
  const ensureDirectory = async (rel: string) => {
    if (ready.has(rel)) return;
    for (const d of [...ancestorsOf(rel), rel]) {
      if (ready.has(d)) continue;
      const abs = path.join(root, d);
      const st = await fs.lstat(abs).catch(() => undefined);
      if (st && !st.isDirectory()) {
        await journal.remove(d);
        await fs.rm(abs, { recursive: true, force: true });
      }
      if (!st?.isDirectory()) await fs.mkdir(abs);
      ready.add(d);
    }
  };

  /**
   * Opens a member's file for writing, never through a link. A directory (or a link) an earlier
   * request left at its path is replaced: this stream names a file there.
   */
  const openMember = async (rel: string, abs: string) => {
    try {
      return await fs.open(abs, WRITE_MEMBER, 0o666);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EISDIR' && (e as NodeJS.ErrnoException).code !== 'ELOOP') throw e;
      await journal.remove(rel);
      await fs.rm(abs, { recursive: true, force: true });
      return fs.open(abs, WRITE_MEMBER, 0o666);
    }
  };

  /** The path this stream names both as a file and as a directory, if `rel` makes one. */
  const clashOf = (rel: string, kind: 'file' | 'directory'): string | undefined => {
    const ancestors = ancestorsOf(rel);
    const clash = ancestors.find((a) => named.get(a) === 'file') ?? (named.has(rel) && named.get(rel) !== kind ? rel : undefined);
    if (clash !== undefined) return clash;
    for (const a of ancestors) if (!named.has(a)) named.set(a, 'directory');
    named.set(rel, kind);
    return undefined;
  };

  extract.on('entry', (header, stream, next) => {
    const handle = async () => {
      const name = header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
      if (name === '' && header.type === 'directory') return stream.resume();
      const rel = safeRelativePath(name, 'tar entry', MAX_ENTRY_BYTES);
      const abs = path.join(root, rel);
      if (header.type !== 'directory' && header.type !== 'file' && header.type !== 'contiguous-file') {
        throw badRequest(`The tar entry "${name}" is a ${header.type}.`, 'A Librarian stores only regular files and directories.');
      }
      const kind = header.type === 'directory' ? 'directory' : 'file';
      const clash = clashOf(rel, kind);
      if (clash !== undefined) {
        // Neither reading is kept, so that a corrected stream finds nothing in its way.
        await journal.remove(clash);
        await fs.rm(path.join(root, clash), { recursive: true, force: true });
        throw badRequest(
          `The tar stream names "${clash}" both as a file and as a directory.`,
          `Send a tar in which each path is one or the other. Nothing is kept at "${clash}"; the files received completely elsewhere are kept for resuming (upload/status lists them).`,
          { received_bytes: total() },
        );
      }
      if (kind === 'directory') {
        await ensureDirectory(rel);
        return stream.resume();
      }
      await ensureDirectory(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel));
      // Sent again: not listed while it is rewritten.
      if (rel in journal.state.files) await journal.remove(rel);
      current = abs;
      hasher.reset();
      const file = await openMember(rel, abs).catch((e) => diskError(e, total()));
      let written: Stats;
      // No fsync per file: the journal makes files durable in groups before it lists them.
      try {
        // After opening: what the member replaces no longer counts.
        if (total() + (header.size ?? 0) > size) {
          throw badRequest(`The directory's files add up to more than the declared upload size of ${size} bytes.`, 'Stage the upload again with the right size.');
        }
        if ((header.size ?? 0) <= SMALL_MEMBER) {
          // Small files in one write: a stream pipeline per file costs three times the CPU.
          const chunks: Buffer[] = [];
          for await (const c of stream) chunks.push(c as Buffer);
          const bytes = Buffer.concat(chunks);
          hasher.update(bytes);
          await file.writeFile(bytes);
          written = await file.stat();
        } else {
          const hashing = new Transform({
            transform(chunk: Buffer, _enc, cb) {
              hasher.update(chunk);
              cb(null, chunk);
            },
          });
          await pipeline(stream, hashing, file.createWriteStream({ highWaterMark: 4 << 20 }));
          written = await fs.stat(abs);
        }
      } catch (e) {
        diskError(e, total());
      } finally {
        await file.close().catch(() => undefined);
      }
      current = undefined;
      await journal.record(rel, abs, { size: written.size, mtimeMs: written.mtimeMs, ctimeMs: written.ctimeMs, digest: hasher.digest() });
    };
    handle().then(
      () => next(),
      (e) => next(e),
    );
  });

  try {
    await pipeline(body, extract);
  } catch (e) {
    // A file cut off mid-way is not kept; complete ones are, for resuming (if even the journal
    // cannot be written, they are simply sent again).
    if (current) await fs.rm(current, { force: true });
    await journal.close().catch(() => undefined);
    if (isLibrarianError(e)) throw e;
    if ((e as Error).message?.includes('Unexpected end of data') || (e as Error).message?.includes('Invalid tar header')) {
      throw new LibrarianError(400, `The tar stream is not valid: ${(e as Error).message}.`, 'Send a POSIX tar of the directory contents; files received completely are kept for resuming.', {
        received_bytes: total(),
      });
    }
    diskError(e, total());
  }
  await journal.close().catch((e) => diskError(e, total()));
  return { transferId, receivedBytes: total(), uploadSize: size, receivedFiles: Object.keys(journal.state.files).length, complete: total() === size };
}
