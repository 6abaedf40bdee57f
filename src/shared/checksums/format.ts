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

export function parseChecksum(value: string): ParsedChecksum {
  const m = /^([a-z0-9]+):::([0-9a-fA-F]+)$/.exec(value);
  const algorithm = (m ? m[1] : 'md5') as Algorithm;
  const hex = (m ? m[2]! : value).toLowerCase();
  if (!ALGORITHMS.includes(algorithm)) {
    throw badRequest(`Unknown checksum algorithm "${algorithm}".`, `Use one of ${ALGORITHMS.join(', ')} as "<algorithm>:::<hex>" (a bare hex string is md5).`);
  }
  if (!/^[0-9a-f]+$/.test(hex) || hex.length !== HEX_LENGTH[algorithm]) {
    throw badRequest(`"${value}" is not a valid ${algorithm} checksum.`, `Give ${HEX_LENGTH[algorithm]} hex digits, as "${algorithm}:::<hex>".`);
  }
  return { algorithm, hex };
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
  const h = await createHasher(algorithm);
  for (const d of [...digests].sort()) h.update(Buffer.from(d, 'utf8'));
  return h.digest();
}
