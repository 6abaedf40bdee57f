/**
 * The client's note of HTTP uploads it has staged and not yet seen through, so a run interrupted
 * by Ctrl-C (or a crash) resumes from what the server holds when the same upload is run again,
 * instead of staging anew and sending from the first byte. One small JSON file, keyed by server,
 * destination and content; an entry goes when its upload is committed or refused, or after a
 * month.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ResumeEntry<S> {
  staged: S;
  savedAt: string;
}

/** How long a note is kept at most: an upload idle this long was failed by its server long ago. */
const FORGET_AFTER_MS = 30 * 24 * 3600_000;

/** Noted less than `ms` ago; a note whose time cannot be read counts as recent (kept, not lost). */
function notedWithin(e: ResumeEntry<unknown>, ms: number, now: number): boolean {
  return !(now - Date.parse(e.savedAt) > ms);
}

export class ResumeJournal<S> {
  constructor(private readonly file: string) {}

  static key(url: string, destination: string, checksum: string, size: number): string {
    return createHash('sha256').update(JSON.stringify([url, destination, checksum, size])).digest('hex');
  }

  private read(): Record<string, ResumeEntry<S>> {
    if (!existsSync(this.file)) return {};
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, ResumeEntry<S>>;
    } catch {
      // A damaged note only costs a fresh start.
      return {};
    }
  }

  private write(all: Record<string, ResumeEntry<S>>): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    renameSync(tmp, this.file);
  }

  /**
   * Whether an upload was noted within `maxAgeMs`: one that may still be resumed. (Older notes are
   * of uploads the server has failed by now, unless it keeps staged uploads longer than that.)
   */
  hasRecent(maxAgeMs: number, now = Date.now()): boolean {
    return Object.values(this.read()).some((e) => notedWithin(e, maxAgeMs, now));
  }

  get(key: string): S | undefined {
    return this.read()[key]?.staged;
  }

  /** Notes it; notes older than a month go at the same time (no server keeps those uploads open). */
  set(key: string, staged: S, now = Date.now()): void {
    const kept = Object.entries(this.read()).filter(([, e]) => notedWithin(e, FORGET_AFTER_MS, now));
    this.write({ ...Object.fromEntries(kept), [key]: { staged, savedAt: new Date(now).toISOString() } });
  }

  delete(key: string): void {
    const all = this.read();
    if (!(key in all)) return;
    delete all[key];
    this.write(all);
  }
}
