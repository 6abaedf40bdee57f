/**
 * What an HTTP upload has received, kept beside the data in its staging directory: per file,
 * the size, mtime, ctime and digest computed while the bytes were written. Verification reuses a
 * digest only while the file's size, mtime and ctime are unchanged, so the data is read once, as
 * it arrives.
 *
 * It is a journal, appended to as files arrive (one JSON line each), so a tar of many small files
 * costs the same per file however many came before: rewriting one state file per file made a
 * tar of 20,000 one-byte files take minutes (docs/benchmarks.md). Lines are:
 *   {"kind":"directory","algorithm":"xxh3","mac":...}          first line: what the upload is
 *   {"path":"a/b.dat","size":1,"mtimeMs":...,"ctimeMs":...,"digest":"...","mac":...}   a file received completely
 *   {"path":"a","removed":true,"mac":...}                      "a" and everything under it are gone
 * A later line for a path replaces an earlier one. A crash may cut the last line: it is ignored.
 *
 * The staging directory is where clients that upload by copy write, so anyone who can write
 * there could write a journal whose digest matches a declared checksum rather than the data.
 * Each line therefore carries an HMAC under its transfer's journal key, which only the catalog
 * holds: a line without a valid one is ignored, and its file is hashed at commit like a copied
 * one. Without a key (transfers staged before keys existed) nothing in the journal is trusted.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Algorithm } from '../../shared/checksums';
import { inParallel } from '../../shared/inParallel';

export const UPLOAD_JOURNAL_FILE = '.librarian-upload-journal';
/** Before the journal: one JSON document, rewritten whole, and unsigned: removed, never read. */
const LEGACY_STATE_FILE = '.librarian-upload-state.json';

/** The transfer's journal key (IncomingTransfer.journalKey); null: nothing is signed or trusted. */
export type JournalKey = string | null;

export interface ReceivedFile {
  size: number;
  mtimeMs: number;
  /** Verification reuses the digest only while the file's ctime is this (see hashListed's `known`). */
  ctimeMs: number;
  digest: string;
}

export interface UploadState {
  kind: 'file' | 'directory';
  algorithm: Algorithm;
  /** Relative path inside the upload ("" for a single file) → what was received. */
  files: Record<string, ReceivedFile>;
}

type Line = { kind: UploadState['kind']; algorithm: Algorithm } | ({ path: string } & ReceivedFile) | { path: string; removed: true };

function dropTree(files: Record<string, ReceivedFile>, p: string): void {
  delete files[p];
  const under = `${p}/`;
  for (const k of Object.keys(files)) if (k.startsWith(under)) delete files[k];
}

function mac(key: string, body: string): string {
  return createHmac('sha256', key).update(body).digest('base64url');
}

/** A journal line: `line` with the HMAC of its JSON as a last field (none without a key). */
function signed(key: JournalKey, line: Line): string {
  return `${JSON.stringify(key === null ? line : { ...line, mac: mac(key, JSON.stringify(line)) })}\n`;
}

/** The line a signed one holds, or undefined if its HMAC is missing or wrong. */
function verified(key: string, raw: string): Line | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { mac: given, ...line } = parsed as Line & { mac?: unknown };
  if (typeof given !== 'string') return undefined;
  const expected = Buffer.from(mac(key, JSON.stringify(line)));
  const actual = Buffer.from(given);
  // In constant time: how long a wrong MAC takes to refuse says nothing about the right one.
  return actual.length === expected.length && timingSafeEqual(actual, expected) ? (line as Line) : undefined;
}

/** The state the journal's complete, validly signed lines describe (a line cut off by a crash has no newline). */
function replay(text: string, key: string): UploadState | undefined {
  const lines = text.split('\n');
  lines.pop();
  let state: UploadState | undefined;
  for (const raw of lines) {
    const line = verified(key, raw);
    if (!line) continue;
    if ('kind' in line) state = { kind: line.kind, algorithm: line.algorithm, files: {} };
    else if (!state) return undefined;
    else if ('removed' in line) dropTree(state.files, line.path);
    else state.files[line.path] = { size: line.size, mtimeMs: line.mtimeMs, ctimeMs: line.ctimeMs, digest: line.digest };
  }
  return state;
}

/** What the journal signed with `key` says was received; undefined if nothing trustworthy. */
export async function readUploadState(stagingDir: string, key: JournalKey): Promise<UploadState | undefined> {
  if (key === null) return undefined;
  try {
    return replay(await fs.readFile(path.join(stagingDir, UPLOAD_JOURNAL_FILE), 'utf8'), key);
  } catch {
    return undefined;
  }
}

/** Writes the whole state at once (a single file's upload, when it is complete). */
export async function writeUploadState(stagingDir: string, state: UploadState, key: JournalKey): Promise<void> {
  const file = path.join(stagingDir, UPLOAD_JOURNAL_FILE);
  const tmp = `${file}.tmp`;
  const lines: Line[] = [{ kind: state.kind, algorithm: state.algorithm }, ...Object.entries(state.files).map(([p, f]) => ({ path: p, ...f }))];
  await fs.writeFile(tmp, lines.map((l) => signed(key, l)).join(''), { flush: true });
  await fs.rename(tmp, file);
  await fs.rm(path.join(stagingDir, LEGACY_STATE_FILE), { force: true });
}

/** When received files are made durable and entered in the journal: whichever limit comes first. */
export const JOURNAL_SYNC = { files: 1000, bytes: 256 * 2 ** 20, ms: 10_000 };

/**
 * The journal of a directory upload, open while a request writes into it. A received file is
 * entered only once its bytes are on disk: files are fsynced in groups (JOURNAL_SYNC), then
 * their lines are appended and the journal fsynced. A crash loses at most the entries of the
 * last group; their files are simply sent again (upload/status does not list them).
 */
export class UploadJournal {
  private pending: { rel: string; abs: string; file: ReceivedFile }[] = [];
  private pendingBytes = 0;
  private lastSync = Date.now();
  private received: number;

  private constructor(
    private readonly handle: FileHandle,
    readonly state: UploadState,
    private readonly key: JournalKey,
  ) {
    this.received = Object.values(state.files).reduce((s, f) => s + f.size, 0);
  }

  /** Opens (or starts) the journal; the state it holds is the caller's to check. */
  static async open(stagingDir: string, fresh: Omit<UploadState, 'files'>, key: JournalKey): Promise<UploadJournal> {
    const existing = await readUploadState(stagingDir, key);
    const file = path.join(stagingDir, UPLOAD_JOURNAL_FILE);
    const state = existing ?? { ...fresh, files: {} };
    if (!existing) {
      // New, or nothing in it can be trusted: the journal starts afresh.
      await writeUploadState(stagingDir, state, key);
    } else {
      // Drop a line a crash cut off, so appended lines start on a line of their own.
      const text = await fs.readFile(file, 'utf8');
      if (!text.endsWith('\n')) await fs.truncate(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    }
    return new UploadJournal(await fs.open(file, 'a'), state, key);
  }

  /** Bytes of the files entered (including those waiting for their group's sync). */
  get receivedBytes(): number {
    return this.received;
  }

  /** A file received completely at `abs` (replacing a file of that path); entered with its group. */
  async record(rel: string, abs: string, file: ReceivedFile): Promise<void> {
    this.forget(rel);
    this.state.files[rel] = file;
    this.received += file.size;
    this.pending.push({ rel, abs, file });
    this.pendingBytes += file.size;
    if (this.pending.length >= JOURNAL_SYNC.files || this.pendingBytes >= JOURNAL_SYNC.bytes || Date.now() - this.lastSync >= JOURNAL_SYNC.ms) await this.sync();
  }

  /**
   * `rel` and everything under it are about to be replaced or deleted: entered at once, so that
   * after a crash upload/status does not list what is no longer there.
   */
  async remove(rel: string): Promise<void> {
    this.forget(rel, true);
    this.pending = this.pending.filter((p) => p.rel !== rel && !p.rel.startsWith(`${rel}/`));
    await this.handle.write(signed(this.key, { path: rel, removed: true }));
  }

  private forget(rel: string, tree = false): void {
    const gone = tree ? Object.keys(this.state.files).filter((k) => k === rel || k.startsWith(`${rel}/`)) : rel in this.state.files ? [rel] : [];
    for (const k of gone) {
      this.received -= this.state.files[k]!.size;
      delete this.state.files[k];
    }
  }

  /** Makes the waiting files durable (their data, then their directories), then enters them. */
  async sync(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.lastSync = Date.now();
    if (batch.length === 0) return;
    const dirs = new Set(batch.map((p) => path.dirname(p.abs)));
    await inParallel([...batch.map((p) => p.abs), ...dirs], 8, fsyncPath);
    await this.handle.write(batch.map((p) => signed(this.key, { path: p.rel, ...p.file })).join(''));
    await this.handle.sync();
  }

  async close(): Promise<void> {
    try {
      await this.sync();
    } finally {
      await this.handle.close();
    }
  }
}

async function fsyncPath(p: string): Promise<void> {
  const h = await fs.open(p, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}
