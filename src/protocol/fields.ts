/**
 * Request fields several groups of endpoints share, as exact as the server: the OpenAPI document
 * shows their limits (lengths, patterns, enums), so what it calls valid is what the server takes,
 * and nothing the server refuses for its form is valid there.
 */
import { z } from 'zod';
import { CHECKSUM_PATTERN, parseChecksum } from '../shared/checksums/format';
import { isLibrarianError } from '../shared/errors';
import { checkFileName, checkUploadName, LIBRARIAN_NAME_PATTERN, MAX_LIBRARIAN_NAME_LENGTH, MAX_NAME_BYTES, MAX_SEGMENT_BYTES } from '../shared/names';

/**
 * A string the server checks with a function of src/shared, which throws the error the server
 * answers (the API answers a request refused only by it with that error as is, so it reads the
 * same as when the domain refuses it), documented by `json`: a JSON Schema that refuses nothing
 * the check accepts (test/unit/protocol.test.ts compares them).
 */
export function checked(check: (v: string) => unknown, json: Record<string, unknown>) {
  return z
    .string()
    .superRefine((v, ctx) => {
      try {
        check(v);
      } catch (e) {
        if (!isLibrarianError(e)) throw e;
        ctx.addIssue({ code: 'custom', message: e.reason, params: { status: e.status, remedy: e.suggestedRemedy } });
      }
    })
    .meta(json);
}

/** The status and remedy of a request refused by a `checked` field alone. */
export function checkedError(error: z.ZodError): { status: number; reason: string; remedy: string } | undefined {
  const [issue, ...more] = error.issues;
  if (!issue || more.length > 0 || issue.code !== 'custom') return undefined;
  const params = issue.params as { status?: number; remedy?: string } | undefined;
  return typeof params?.remedy === 'string' ? { status: params.status ?? 400, reason: issue.message, remedy: params.remedy } : undefined;
}

/** `algorithm:::hex`, or bare hex meaning md5 (what v2 clients and catalogs hold). */
export const checksum = checked(parseChecksum, {
  pattern: CHECKSUM_PATTERN.source,
  description: 'algorithm:::hex with xxh3 (32 hex digits), md5 (32), sha1 (40), sha256 (64) or sha512 (128); bare hex is md5',
});

/** Segments separated by "/" (or "\\", read as "/"), each 1 to 255 characters. */
const SEGMENTS = `[^/\\\\]{1,${MAX_SEGMENT_BYTES}}`;

/** The name a File is catalogued under (`what` names it in errors). */
export const fileNameField = (what: string) =>
  checked((v) => checkFileName(v, what), {
    minLength: 1,
    maxLength: MAX_NAME_BYTES,
    pattern: `^${SEGMENTS}(?:[/\\\\]${SEGMENTS})*$`,
    description: `A relative path of at most ${MAX_NAME_BYTES} bytes in UTF-8, each segment at most ${MAX_SEGMENT_BYTES} bytes; no "..", "." or empty segments, no NUL`,
  });

/** Where an upload or a clone puts a File: its name. */
export const fileName = fileNameField('destination path');

/** The last segment of a destination, as it sits in its staging directory. */
export const uploadName = checked(checkUploadName, {
  minLength: 1,
  maxLength: MAX_SEGMENT_BYTES,
  pattern: `^${SEGMENTS}$`,
  description: `One segment of at most ${MAX_SEGMENT_BYTES} bytes in UTF-8, not "." or "..", not starting with ".librarian"`,
});

/**
 * An id of a catalog row (ours, or a peer's transfer id): a 32-bit integer, as both Librarians'
 * catalogs store them (PostgreSQL refuses a larger one in a query: it would be a 500).
 */
export const catalogId = z.number().int().min(-2_147_483_648).max(2_147_483_647);

/** Who uploaded a File (an account here, or at the site it came from), a peer's name. */
export const accountName = z.string().min(1).max(256);

/** The configured name of one of our Librarians (src/config nameSchema). */
export const librarianName = z.string().min(1).max(MAX_LIBRARIAN_NAME_LENGTH).regex(LIBRARIAN_NAME_PATTERN);
