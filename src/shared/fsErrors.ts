/**
 * Which filesystem errors asking again cannot mend. Temporal retries an activity that fails; for
 * these it must not (a read-only disk or a name the filesystem refuses stays so however often the
 * step runs): they become LibrarianErrors that are not retryable, with the HTTP status the caller
 * sees. Every other error (EIO, ENOENT, EBUSY, ESTALE, a killed worker...) may pass, and is retried
 * by the step's bounded retry policy.
 */
import { LibrarianError } from './errors';

interface Kind {
  status: number;
  /** What went wrong, in words, before the system's message. */
  what: string;
  remedy: string;
}

const NAME = (what: string): Kind => ({ status: 400, what, remedy: 'Choose a shorter or simpler name: at most 255 bytes per path segment, letters, digits and "._-" are safe everywhere.' });
const IN_THE_WAY = (what: string): Kind => ({ status: 409, what, remedy: 'Choose a destination name that neither lies inside an existing file nor contains existing data; operators can inspect the path.' });
const NOT_WRITABLE = (what: string): Kind => ({
  status: 503,
  what,
  remedy: 'Operators: make the store writable (remount it read-write, fix ownership and permissions), check it with "librarian stores check", enable it again; then send the data again.',
});
const FULL: Kind = { status: 507, what: 'the disk is full', remedy: 'Free space on the store or enable another one ("librarian stores list"), then send the data again.' };

const PERMANENT: Record<string, Kind> = {
  ENAMETOOLONG: NAME('a name is too long for the filesystem'),
  EILSEQ: NAME('the filesystem refuses the characters of a name'),
  ELOOP: NAME('the path loops through symbolic links'),
  ENOTDIR: IN_THE_WAY('a part of the path is a file, not a directory'),
  EISDIR: IN_THE_WAY('a directory is in the way'),
  EEXIST: IN_THE_WAY('something already exists at the path'),
  ENOTEMPTY: IN_THE_WAY('a directory that is not empty is in the way'),
  EROFS: NOT_WRITABLE('the filesystem is read-only'),
  EACCES: NOT_WRITABLE('permission denied'),
  EPERM: NOT_WRITABLE('operation not permitted'),
  ENOSPC: FULL,
  EDQUOT: { ...FULL, what: 'the disk quota is exhausted' },
  EFBIG: { ...FULL, what: 'the file is too large for the filesystem' },
};

export function errnoCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** Whether asking again later cannot change the outcome of this filesystem error. */
export function isPermanentFsError(e: unknown): boolean {
  const code = errnoCode(e);
  return code !== undefined && code in PERMANENT;
}

/**
 * A permanent filesystem error as a LibrarianError that is not retried, its reason saying where
 * (`context`, e.g. 'Store "main" cannot take "obs/x"') and what the system said; undefined for any
 * other error.
 */
export function permanentFsError(e: unknown, context?: string): LibrarianError | undefined {
  const code = errnoCode(e);
  const kind = code === undefined ? undefined : PERMANENT[code];
  if (!kind) return undefined;
  const what = context ? `${context}: ${kind.what}` : kind.what[0]!.toUpperCase() + kind.what.slice(1);
  const reason = `${what} (${(e as Error).message}).`;
  return new LibrarianError(kind.status, reason, kind.remedy, { errno: code }, { retryable: false });
}

/**
 * Whether an error came from the filesystem (a system call on a path: the disk), not from a
 * network connection (the catalog database, a peer), which carries an errno code too.
 */
export function isFsError(e: unknown): boolean {
  return errnoCode(e) !== undefined && typeof (e as { path?: unknown }).path === 'string';
}

/**
 * A filesystem error that may pass (EIO, EBUSY...) met on the `attempts`th try of a step whose
 * retry policy has no end (workflows/retries.ts CATALOG_UNTIL_IT_ANSWERS: it waits out an outage
 * of the catalog, not a failing disk; activities/support.ts runCatalogAndDisk): as a
 * LibrarianError 503 that is not retried, saying so.
 */
export function diskKeptFailing(e: unknown, attempts: number, context?: string): LibrarianError {
  const what = context ? `${context}: the disk kept failing` : 'The disk kept failing';
  return new LibrarianError(
    503,
    `${what} (${attempts} attempts; the last met ${(e as Error).message}).`,
    'Operators: check the store\'s disk ("librarian stores check", the system log); then send the data again.',
    { errno: errnoCode(e) },
    { retryable: false },
  );
}
