/**
 * What an HTTP upload has received, kept beside the data in its staging directory: per file,
 * the size, mtime and digest computed while the bytes were written. Verification reuses a digest
 * only while the file's size and mtime are unchanged, so the data is read once, as it arrives.
 *
 * It is a journal, appended to as files arrive (one JSON line each), so a tar of many small files
 * costs the same per file however many came before: rewriting one state file per file made a
 * tar of 20,000 one-byte files take minutes (docs/benchmarks.md). Lines are:
 *   {"kind":"directory","algorithm":"xxh3"}          first line: what the upload is
 *   {"path":"a/b.dat","size":1,"mtimeMs":...,"digest":"..."}   a file received completely
 *   {"path":"a","removed":true}                      "a" and everything under it are gone
 * A later line for a path replaces an earlier one. A crash may cut the last line: it is ignored.
 */
import type { FileHandle } from 'node:fs/promises';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Algorithm } from '../../shared/checksums';
import { inParallel } from '../../shared/inParallel';

export const UPLOAD_JOURNAL_FILE = '.librarian-upload-journal';
/** Before the journal: one JSON document, rewritten whole (staging areas of that time are still read). */
const LEGACY_STATE_FILE = '.librarian-upload-state.json';

export interface ReceivedFile {
  size: number;
  mtimeMs: number;
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

/** The state the journal's complete lines describe (a line cut off by a crash has no newline). */
function replay(text: string): UploadState | undefined {
  const lines = text.split('\n');
  lines.pop();
  let state: UploadState | undefined;
  for (const raw of lines) {
    let line: Line;
    try {
      line = JSON.parse(raw) as Line;
    } catch {
      break;
    }
    if ('kind' in line) state = { kind: line.kind, algorithm: line.algorithm, files: {} };
    else if (!state) return undefined;
    else if ('removed' in line) dropTree(state.files, line.path);
    else state.files[line.path] = { size: line.size, mtimeMs: line.mtimeMs, digest: line.digest };
  }
  return state;
}

export async function readUploadState(stagingDir: string): Promise<UploadState | undefined> {
  try {
    return replay(await fs.readFile(path.join(stagingDir, UPLOAD_JOURNAL_FILE), 'utf8'));
  } catch {
    try {
      return JSON.parse(await fs.readFile(path.join(stagingDir, LEGACY_STATE_FILE), 'utf8')) as UploadState;
    } catch {
      return undefined;
    }
  }
}

/** Writes the whole state at once (a single file's upload, when it is complete). */
export async function writeUploadState(stagingDir: string, state: UploadState): Promise<void> {
  const file = path.join(stagingDir, UPLOAD_JOURNAL_FILE);
  const tmp = `${file}.tmp`;
  const lines: Line[] = [{ kind: state.kind, algorithm: state.algorithm }, ...Object.entries(state.files).map(([p, f]) => ({ path: p, ...f }))];
  await fs.writeFile(tmp, lines.map((l) => `${JSON.stringify(l)}\n`).join(''), { flush: true });
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
  ) {
    this.received = Object.values(state.files).reduce((s, f) => s + f.size, 0);
  }

  /** Opens (or starts) the journal; the state it holds is the caller's to check. */
  static async open(stagingDir: string, fresh: Omit<UploadState, 'files'>): Promise<UploadJournal> {
    const existing = await readUploadState(stagingDir);
    const file = path.join(stagingDir, UPLOAD_JOURNAL_FILE);
    const state = existing ?? { ...fresh, files: {} };
    if (!existing || !(await fs.stat(file).catch(() => undefined))) {
      // New, or carried over from the legacy state file: the journal starts with all of it.
      await writeUploadState(stagingDir, state);
    } else {
      // Drop a line a crash cut off, so appended lines start on a line of their own.
      const text = await fs.readFile(file, 'utf8');
      if (!text.endsWith('\n')) await fs.truncate(file, Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1)));
    }
    return new UploadJournal(await fs.open(file, 'a'), state);
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
    await this.handle.write(`${JSON.stringify({ path: rel, removed: true })}\n`);
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
    await this.handle.write(batch.map((p) => `${JSON.stringify({ path: p.rel, ...p.file })}\n`).join(''));
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
