/**
 * Client side of an upload: hash locally, stage, move the bytes (local copy into the staging
 * area, or streamed HTTP that resumes after a broken connection), commit and wait for the
 * verdict. With a server that takes the checksum at commit, the stage comes first, so that a
 * copy into staging runs while the data is hashed.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import type TarStream from 'tar-stream';
import { ChecksumPool, DEFAULT_ALGORITHM, listDataFiles, type Algorithm, type DataFile, type Listing } from '../shared/checksums';
import { LibrarianError } from '../shared/errors';
import { ApiError, ConnectionError, type LibrarianClient } from '../protocol/client';
import * as uploads from '../protocol/uploads';
import type { ResponseOf } from '../protocol/call';
import { copyInto } from './copy';
import { ResumeJournal } from './resumeJournal';

export type Via = 'copy' | 'http' | 'auto';

export interface Progress {
  /** Called as work advances; `phase` is "hashing", "sending" or "committing". */
  (phase: 'hashing' | 'sending' | 'committing', done: number, total: number): void;
}

export interface UploadOptions {
  via?: Via;
  uploader?: string;
  deletionPolicy?: 'allowed' | 'disallowed';
  algorithm?: Algorithm;
  threads?: number;
  progress?: Progress;
  /** HTTP: attempts to resume after a broken connection before giving up. */
  resumeAttempts?: number;
  /**
   * HTTP: where to note staged uploads, so running the same upload again after an interruption
   * resumes from what the server holds (see resumeJournal.ts). Without it, each run stages anew.
   */
  resumeFile?: string;
}

export interface UploadResult extends Omit<NonNullable<ResponseOf<typeof uploads.commit>>, 'instance_id'> {
  /** Null from a v2 server, which does not say. */
  instance_id: number | null;
  checksum: string;
  size: number;
  via: 'copy' | 'http';
  /** Bytes the server already held from an interrupted earlier run (0: sent from the start). */
  resumed_from: number;
}

function counting(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      // A progress callback that throws (a caller stopping the upload) ends the request, not the process.
      try {
        onBytes(chunk.length);
      } catch (e) {
        return cb(e as Error);
      }
      cb(null, chunk);
    },
  });
}

async function canCopyLocally(staged: ResponseOf<typeof uploads.stage>): Promise<boolean> {
  try {
    await fs.access(path.dirname(staged.staging_location), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function tarOf(files: DataFile[], onBytes: (n: number) => void): AsyncIterable<Uint8Array> {
  // Loaded here: only directories sent over HTTP need it.
  const tar = require('tar-stream') as typeof TarStream;
  const pack = tar.pack();
  (async () => {
    for (const f of files) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ name: f.relative, size: f.size, mode: 0o644, mtime: new Date(f.mtimeMs), type: 'file' }, (err) => (err ? reject(err) : resolve()));
        createReadStream(f.absolute).pipe(counting(onBytes)).pipe(entry);
      });
    }
    pack.finalize();
  })().catch((e) => pack.destroy(e as Error));
  return pack as unknown as AsyncIterable<Uint8Array>;
}

async function sendHttp(client: LibrarianClient, staged: ResponseOf<typeof uploads.stage>, files: DataFile[], directory: boolean, total: number, opts: UploadOptions): Promise<void> {
  const attempts = opts.resumeAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const status = await client.call(uploads.status, { transfer_id: staged.transfer_id });
    let sent = status.received_bytes;
    opts.progress?.('sending', sent, total);
    const onBytes = (n: number) => {
      sent += n;
      opts.progress?.('sending', sent, total);
    };
    try {
      if (directory) {
        const have = new Map(status.received_files.map((f) => [f.path, f.size]));
        const missing = files.filter((f) => have.get(f.relative) !== f.size);
        if (missing.length === 0) return;
        await client.send(uploads.data, { transfer_id: staged.transfer_id }, tarOf(missing, onBytes), { 'Content-Type': 'application/x-tar' });
      } else {
        if (total > 0 && sent === total) return;
        const start = sent;
        const body = total === 0 ? (async function* () {})() : createReadStream(files[0]!.absolute, { start, highWaterMark: 1 << 20 }).pipe(counting(onBytes));
        await client.send(uploads.data, { transfer_id: staged.transfer_id }, body, { 'Content-Type': 'application/octet-stream', 'Upload-Offset': String(start) });
      }
      return;
    } catch (e) {
      // Broken connections, server errors and "offset moved on" are resumed from what the server holds.
      const offsetMoved = e instanceof ApiError && e.status === 409 && typeof (e.body as { received_bytes?: unknown })?.received_bytes === 'number';
      const retriable = e instanceof ConnectionError || (e instanceof ApiError && e.status >= 500 && e.status !== 507) || offsetMoved;
      if (!retriable || attempt >= attempts) throw e;
      await new Promise((r) => setTimeout(r, Math.min(1000 * 2 ** (attempt - 1), 30_000)));
    }
  }
}

/** How long a noted HTTP upload is taken to be resumable (servers fail uploads idle for uploads.stagingTimeout, 1 day by default). */
const RESUMABLE_FOR_MS = 7 * 24 * 3600_000;

/** Uploads a local file or directory to `destination` on the Librarian behind `client`. */
export async function uploadPath(client: LibrarianClient, localPath: string, destination: string, opts: UploadOptions = {}): Promise<UploadResult> {
  const algorithm = opts.algorithm ?? DEFAULT_ALGORITHM;
  const listing = await listDataFiles(localPath);
  const { directory, files } = listing;
  const size = files.reduce((sum, f) => sum + f.size, 0);
  const journal = opts.resumeFile && opts.via !== 'copy' ? new ResumeJournal<Staged>(opts.resumeFile) : undefined;
  const stageBody = (checksum?: string) => ({
    upload_size: size,
    ...(checksum !== undefined ? { upload_checksum: checksum } : {}),
    upload_name: path.posix.basename(destination),
    destination_location: destination,
    // v2 servers require it; ours default it to the account.
    uploader: opts.uploader ?? client.username ?? 'anonymous',
  });
  // Staged before it is hashed, the checksum declared with the commit, so that a copy runs while
  // the data is hashed (one read of the source serves both). Hashed first where that cannot be:
  // while the note of interrupted HTTP uploads holds any from the last week (it finds them by their
  // content), and for servers that refuse a stage without the checksum (v2's, and ours before
  // they took it at commit).
  const early = journal?.hasRecent(RESUMABLE_FOR_MS) ? undefined : await client.call(uploads.stage, stageBody()).catch(unlessChecksumRequired);
  let hashed: Hashed | undefined;
  let key: string | undefined;
  let resumed: { staged: Staged; held: number } | undefined;
  let staged: Staged;
  if (early) {
    staged = early;
  } else {
    hashed = await hashData(listing, algorithm, opts);
    key = ResumeJournal.key(client.url, destination, hashed.checksum, hashed.size);
    resumed = journal ? await stillOpen(client, journal.get(key)) : undefined;
    staged = resumed?.staged ?? (await client.call(uploads.stage, stageBody(hashed.checksum)));
  }
  let via = opts.via ?? 'auto';
  if (resumed) via = 'http';
  else if (via === 'auto') via = staged.transfer_providers.local && (await canCopyLocally(staged)) ? 'copy' : 'http';
  if (via === 'http' && !staged.http_upload) {
    throw new LibrarianError(
      400,
      `The server at ${client.url} takes data only by copy into ${staged.staging_location} (a Librarian v2 server has no HTTP upload), and that path is not writable from here.`,
      `Run the upload on a host listed in its transfer_providers.local.hostnames (${staged.transfer_providers.local?.hostnames.join(', ') || 'none'}) that sees its staging area.`,
    );
  }
  let sent = 0;
  const onSent = (n: number) => opts.progress?.('sending', (sent += n), size);
  if (via === 'copy') {
    if (hashed) {
      await copyInto(files, directory, staged.staging_location, onSent);
    } else {
      const [hashing, copying] = await Promise.allSettled([hashData(listing, algorithm, opts), copyInto(files, directory, staged.staging_location, onSent)]);
      if (copying.status === 'rejected') throw copying.reason;
      if (hashing.status === 'rejected') throw hashing.reason;
      hashed = hashing.value;
    }
  } else {
    // Hashed before any byte is sent: the note that lets a later run resume is keyed by content.
    hashed ??= await hashData(listing, algorithm, opts);
    key ??= ResumeJournal.key(client.url, destination, hashed.checksum, hashed.size);
    journal?.set(key, staged);
    await sendHttp(client, staged, files, directory, hashed.size, opts);
  }
  return commit(client, staged, destination, via, hashed, opts, { journal, key, resumedFrom: resumed?.held });
}

type Hashed = { checksum: string; size: number };

/** A stage refused for want of its checksum gives undefined (stage again with it); any other error stands. */
function unlessChecksumRequired(e: unknown): undefined {
  if (e instanceof ApiError && (e.status === 400 || e.status === 422) && JSON.stringify(e.body ?? '').includes('upload_checksum')) return undefined;
  throw e;
}

/** Hashes the listed data: a single file in one worker thread, a directory in up to one per core. */
async function hashData(listing: Listing, algorithm: Algorithm, opts: UploadOptions): Promise<Hashed> {
  // No more threads than files (small uploads are hashed without any: see INLINE_BYTES).
  const pool = new ChecksumPool(Math.max(1, Math.min(opts.threads ?? os.availableParallelism(), listing.files.length)));
  try {
    return await pool.hashListed(listing, algorithm, { onProgress: (d, t) => opts.progress?.('hashing', d, t) });
  } finally {
    await pool.close();
  }
}

/**
 * Commits a staged upload and waits for the verdict. `journal`/`key`: the note of an HTTP upload,
 * removed once the server has answered for good.
 */
async function commit(
  client: LibrarianClient,
  staged: Staged,
  destination: string,
  via: 'copy' | 'http',
  hashed: Hashed,
  opts: UploadOptions,
  how: { journal?: ResumeJournal<Staged>; key?: string; resumedFrom?: number },
): Promise<UploadResult> {
  const { journal, key } = how;
  opts.progress?.('committing', 0, hashed.size);
  // Our servers say how far the commit's verification has got; v2 servers have no upload/status.
  const watching = staged.http_upload && opts.progress ? watchVerification(client, staged.transfer_id, hashed.size, opts.progress) : undefined;
  // Every field v2 servers require (ours read transfer_id, deletion_policy and upload_checksum);
  // "allowed" and "disallowed" mean the same to both.
  const committed = await client.call(
    uploads.commit,
    {
      transfer_id: staged.transfer_id,
      deletion_policy: opts.deletionPolicy ?? 'disallowed',
      store_name: staged.store_name,
      staging_name: staged.staging_name,
      staging_location: staged.staging_location,
      upload_name: staged.upload_name,
      destination_location: destination,
      transfer_provider_name: via === 'copy' ? 'local' : 'http',
      transfer_provider: staged.transfer_providers.local ?? { hostnames: [] },
      meta_mode: 'infer',
      uploader: opts.uploader ?? client.username ?? 'anonymous',
      null_obsid: false,
      // Our servers (the ones with HTTP upload) take the checksum here, whether the stage had it
      // or not (the same again is accepted); v2 servers are not sent it.
      ...(staged.http_upload ? { upload_checksum: hashed.checksum } : {}),
    },
    24 * 3600_000,
  ).finally(() => watching?.stop()).catch((e: unknown) => {
    // Refused: a later run must stage anew. (A broken connection keeps the note: the commit may yet be answered.)
    if (e instanceof ApiError && e.status >= 400 && e.status < 500 && key) journal?.delete(key);
    throw e;
  });
  if (key) journal?.delete(key);
  opts.progress?.('committing', hashed.size, hashed.size);
  // v2 servers answer an empty body.
  const done = committed ?? { success: true as const, transfer_id: staged.transfer_id, file_name: destination, instance_id: null, store_name: staged.store_name, path: destination };
  return { ...done, checksum: hashed.checksum, size: hashed.size, via, resumed_from: how.resumedFrom ?? 0 };
}

type Staged = ResponseOf<typeof uploads.stage>;

/** Asks the server every second how far the commit's verification has got, and reports it. */
function watchVerification(client: LibrarianClient, transferId: number, size: number, progress: Progress): { stop(): void } {
  let asking = false;
  const timer = setInterval(() => {
    if (asking) return;
    asking = true;
    client
      .call(uploads.status, { transfer_id: transferId }, 10_000)
      .then((s) => {
        if (s.verification && s.verification.total > 0) progress('committing', Math.min(s.verification.done, size), size);
      })
      .catch(() => undefined)
      .finally(() => (asking = false));
  }, 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** A noted upload the server still holds open for this account, with the bytes it holds. */
async function stillOpen(client: LibrarianClient, staged: Staged | undefined): Promise<{ staged: Staged; held: number } | undefined> {
  if (!staged) return undefined;
  try {
    const s = await client.call(uploads.status, { transfer_id: staged.transfer_id });
    return s.status === 'INITIATED' || s.status === 'ONGOING' ? { staged, held: s.received_bytes } : undefined;
  } catch {
    // Gone, failed, superseded or not ours: stage anew.
    return undefined;
  }
}
