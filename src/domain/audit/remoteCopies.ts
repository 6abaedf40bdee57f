/**
 * Copies of our files at other Librarians, as they answer for them: `validate/file` asked of each
 * peer that holds one (RemoteInstances). Used by validation across sites and, as evidence, by
 * deletions: a copy counts only when its Librarian verified it recently and it matches.
 */
import type { Config } from '../../config';
import { sameChecksum } from '../../shared/checksums';
import type { ValidationItem } from '../../protocol/validation';
import type { Db } from '../catalog/db';
import type { PeerRegistry } from '../peers/registry';

/** v2 peers answer without checksum_time; they trust a checksum for up to a day (checksum_timeout). */
export const V2_CACHE_MS = 86_400_000;

export interface SiteVerdict {
  librarian: string;
  /** Each of its copies' verdicts; an item with state "unreachable" when it did not answer. */
  items: ValidationItem[];
}

export interface CopyEvidence {
  librarian: string;
  /** It holds a copy that matches, verified at this time (or null: no such copy). */
  verifiedAt: string | null;
  matches: boolean;
  /** It hashed its copy because we asked (not a cached answer): as fresh as evidence gets. */
  hashedOnRequest?: boolean;
  /** Why it does not count, when it does not. */
  problem?: string;
}

export class RemoteCopies {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly peers: PeerRegistry,
  ) {}

  /** The Librarians we know hold a copy of the file (not in `exclude`). */
  async holders(fileName: string, exclude: string[] = []): Promise<string[]> {
    const rows = await this.db.remoteInstance.findMany({ where: { fileName }, include: { librarian: true }, orderBy: { id: 'asc' } });
    return [...new Set(rows.map((r) => r.librarian.name))].filter((n) => n !== this.config.name && !exclude.includes(n));
  }

  /**
   * A peer's verdicts on its copies of a file. One that cannot be asked, or says it has no copy,
   * gives one item saying so (state unreachable, or lost), never an error.
   */
  async ask(peer: string, fileName: string, opts: { force?: boolean; peers?: boolean; depth?: number; visited?: string[] }): Promise<ValidationItem[]> {
    const file = await this.db.file.findUniqueOrThrow({ where: { name: fileName } });
    const none = (state: 'unreachable' | 'lost', error: string): ValidationItem[] => [
      { librarian: peer, store: -1, instance_id: -1, original_checksum: file.checksum, original_size: Number(file.size), current_checksum: null, current_size: null, computed_same_checksum: false, checksum_time: null, state, error },
    ];
    let items: ValidationItem[];
    try {
      const client = await this.peers.client(peer);
      items = await client.validateFile({ file_name: fileName, force: opts.force ?? false, ...(opts.peers ? { peers: true, depth: opts.depth, visited: opts.visited } : {}) });
    } catch (e) {
      const msg = (e as Error).message;
      // A 4xx: it answered, and has no such file (v2: 400 "This file does not exist in the librarian.").
      if ((e as { status?: number }).status !== undefined && (e as { status: number }).status < 500) return none('lost', `${peer} holds no copy: ${msg}`);
      return none('unreachable', msg);
    }
    if (!Array.isArray(items)) return none('unreachable', `${peer} answered validate/file with something other than a list`);
    if (!items.some((i) => i.librarian === peer)) items = [...items, ...none('lost', `${peer} reports no readable copy`)];
    return items;
  }

  /**
   * What a holder of the file says about its copy now: whether it matches our file, and when it
   * was verified (a v2 peer's answer counts as verified a day ago: it caches that long). `force`
   * asks it to hash again; without, it may answer from its cache.
   */
  async evidenceFrom(peer: string, fileName: string, checksum: string, force: boolean): Promise<CopyEvidence> {
    const items = (await this.ask(peer, fileName, { force })).filter((i) => i.librarian === peer);
    // Its copy of *our* file: same catalogued checksum, and the data hashes to it.
    const good = items.filter((i) => i.computed_same_checksum && sameChecksum(i.original_checksum, checksum) && (i.state === undefined || i.state === 'good'));
    if (good.length === 0) {
      const why = items.map((i) => (i.error ? i.error : !sameChecksum(i.original_checksum, checksum) ? `it catalogues a different checksum (${i.original_checksum})` : `its copy is ${i.state ?? 'not matching'} (${i.current_checksum ?? 'no checksum'})`));
      return { librarian: peer, verifiedAt: null, matches: false, problem: why.join('; ') || 'no answer' };
    }
    const times = good.map((i) => (i.checksum_time ? new Date(i.checksum_time).getTime() : i.checksum_time === undefined ? Date.now() - V2_CACHE_MS : 0));
    const at = Math.max(...times);
    // v2 peers take no `force` and say nothing of caching: only ours can say they hashed just now.
    const hashedOnRequest = force && good.some((i) => i.cached === false);
    return { librarian: peer, verifiedAt: at > 0 ? new Date(at).toISOString() : null, matches: true, ...(hashedOnRequest ? { hashedOnRequest } : {}) };
  }
}
