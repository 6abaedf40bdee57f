/**
 * Checksums as the SO Librarian writes them: "<algorithm>:::<hex>", a bare hex string meaning
 * md5. A directory ("book") is hashed file by file; the sorted hex digests are hashed again
 * (checksumdir's dirhash), so both systems agree on the same data.
 */
import { badRequest } from '../errors';
import { ALGORITHMS, createHasher, HEX_LENGTH, type Algorithm } from './hashers';

export interface ParsedChecksum {
  algorithm: Algorithm;
  hex: string;
}

const SEPARATOR = ':::';

/** How to write a checksum, said in every error about one. */
const FORMS = `Write "<algorithm>:::<hex digits>" with one of ${ALGORITHMS.map((a) => `${a} (${HEX_LENGTH[a]} hex digits)`).join(', ')}; a bare hex string is md5.`;

export function parseChecksum(value: string): ParsedChecksum {
  const at = value.indexOf(SEPARATOR);
  if (at < 0) {
    // Only bare hex is md5; anything else that looks like "name:hex" is a malformed prefix, not md5.
    if (/^[0-9a-fA-F]+$/.test(value) && value.length === HEX_LENGTH.md5) return { algorithm: 'md5', hex: value.toLowerCase() };
    const reason = /^[0-9a-fA-F]+$/.test(value)
      ? `"${value}" is not a valid checksum: a bare hex string is an md5 digest of ${HEX_LENGTH.md5} hex digits, this one has ${value.length}.`
      : `"${value}" is not a checksum: it has no "<algorithm>:::" prefix and is not a bare md5 hex digest.`;
    throw badRequest(reason, FORMS);
  }
  const given = value.slice(0, at);
  const hex = value.slice(at + SEPARATOR.length);
  const algorithm = ALGORITHMS.find((a) => a === given);
  if (!algorithm) {
    const lower = ALGORITHMS.find((a) => a === given.toLowerCase());
    throw badRequest(
      `Unknown checksum algorithm "${given}"${lower ? ` (algorithm names are lower case: "${lower}")` : ''}; accepted algorithms: ${ALGORITHMS.join(', ')}.`,
      FORMS,
    );
  }
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== HEX_LENGTH[algorithm]) {
    throw badRequest(
      `"${value}" is not a valid ${algorithm} checksum: ${algorithm} takes ${HEX_LENGTH[algorithm]} hex digits, ${/^[0-9a-fA-F]*$/.test(hex) ? `this has ${hex.length}` : `"${hex}" is not hex`}.`,
      FORMS,
    );
  }
  return { algorithm, hex: hex.toLowerCase() };
}

/**
 * What parseChecksum accepts, as one regular expression: the OpenAPI document shows it
 * (test/unit/protocol.test.ts checks that both agree).
 */
export const CHECKSUM_PATTERN = new RegExp(`^(?:${ALGORITHMS.map((a) => `${a}:::[0-9a-fA-F]{${HEX_LENGTH[a]}}`).join('|')}|[0-9a-fA-F]{${HEX_LENGTH.md5}})$`);

export function formatChecksum(algorithm: Algorithm, hex: string): string {
  return `${algorithm}:::${hex}`;
}

/** True when both name the same algorithm and digest (case-insensitive; bare hex is md5). */
export function sameChecksum(a: string, b: string): boolean {
  const x = parseChecksum(a);
  const y = parseChecksum(b);
  return x.algorithm === y.algorithm && x.hex === y.hex;
}

/** Combines per-file hex digests into a directory digest, exactly as dirhash does. */
export async function combineDigests(algorithm: Algorithm, digests: string[]): Promise<string> {
  const h = createHasher(algorithm);
  for (const d of [...digests].sort()) h.update(Buffer.from(d, 'utf8'));
  return h.digest();
}
