/**
 * Limits on File names, checked wherever a name enters (upload and clone staging, a drive's
 * entries, imports, add_file, a book's tar entries), so a name that no filesystem or Temporal
 * would take is refused at once (400) instead of failing later:
 *
 * - a segment (the part between two "/") has at most 255 bytes in UTF-8: NAME_MAX of the Linux
 *   filesystems stores use (ext4, XFS, ZFS, Lustre, GPFS);
 * - a name has at most 512 bytes, so every workflow id built from one stays under Temporal's
 *   limit of 1000 bytes: the longest, `validate/<librarian>/<name>/peers/<depth>/<visited>`, is
 *   9 + 64 + 1 + 512 + 7 + 1 + 1 + (6 names of 64 and 5 commas) = 974 bytes;
 * - a path inside a book (a tar entry) has at most 2048 bytes, so store root, name and entry stay
 *   within PATH_MAX (4096).
 *
 * Pure: the protocol's schemas and the domain check names with the same functions.
 */
import { badRequest } from './errors';

export const MAX_SEGMENT_BYTES = 255;
export const MAX_NAME_BYTES = 512;
export const MAX_ENTRY_BYTES = 2048;
/** Librarian and store names (configuration); they too are parts of workflow ids. */
export const MAX_LIBRARIAN_NAME_LENGTH = 64;
export const LIBRARIAN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Librarians a validation across sites passes through, at most (the workflow id names them). */
export const MAX_VALIDATION_HOPS = 5;

/**
 * The UTF-8 length of `s`, counting no further than `stop` (a 60 MB string is not walked to its
 * end). A lone surrogate counts 3 bytes, as TextEncoder writes it (U+FFFD).
 */
export function utf8Length(s: string, stop = Infinity): number {
  let n = 0;
  for (let i = 0; i < s.length && n <= stop; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** The start of a long value, for messages (a refused name may be megabytes long). */
function preview(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}…` : s;
}

/**
 * Checks that a client-supplied relative path stays inside its root and fits a filesystem: no
 * absolute paths, no "..", no empty or "." segments, no NUL, segments of at most 255 bytes, and
 * at most `maxBytes` in all. Symlinks are checked separately at use (LocalStore.assertInside).
 */
export function safeRelativePath(p: string, what = 'path', maxBytes = Infinity): string {
  if (utf8Length(p, maxBytes) > maxBytes) {
    throw badRequest(`The ${what} "${preview(p)}" is longer than ${maxBytes} bytes (UTF-8).`, `Use a name of at most ${maxBytes} bytes.`);
  }
  const normalised = p.replace(/\\/g, '/');
  const segments = normalised.split('/');
  if (
    p.length === 0 ||
    p.includes('\0') ||
    normalised.startsWith('/') ||
    /^[A-Za-z]:/.test(normalised) ||
    segments.some((s) => s === '..' || s === '.' || s === '')
  ) {
    throw badRequest(
      `The ${what} "${preview(p)}" is not a clean relative path.`,
      'Give a relative path such as "obs/2026/book_123": no leading "/", no "..", "." or empty segments.',
    );
  }
  const long = segments.find((s) => utf8Length(s, MAX_SEGMENT_BYTES) > MAX_SEGMENT_BYTES);
  if (long !== undefined) {
    throw badRequest(
      `The ${what} "${preview(p)}" has a segment of ${utf8Length(long)} bytes ("${preview(long)}"); filesystems take at most ${MAX_SEGMENT_BYTES} bytes (UTF-8) between two "/".`,
      `Shorten each part of the name to at most ${MAX_SEGMENT_BYTES} bytes.`,
    );
  }
  return segments.join('/');
}

/** A File name as it may enter the catalog (a destination). */
export function checkFileName(name: string, what = 'destination path'): string {
  return safeRelativePath(name, what, MAX_NAME_BYTES);
}

/** The name of an upload in its staging directory: one segment, not one of ours. */
export function checkUploadName(name: string): string {
  const clean = safeRelativePath(name, 'upload name', MAX_SEGMENT_BYTES);
  if (clean.includes('/') || clean.startsWith('.librarian')) {
    throw badRequest(`The upload name "${preview(name)}" must be a single file or directory name.`, 'Use the last segment of the destination path, e.g. "book_123".');
  }
  return clean;
}
