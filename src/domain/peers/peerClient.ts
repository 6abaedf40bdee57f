/**
 * Calls to another Librarian, typed by the protocol module (src/protocol). Failures are classified
 * for Temporal: connection problems, server errors and refused logins may heal (the peer is down
 * or being fixed) and are thrown as plain errors, which activities retry; a 400, 404 or 422 means
 * we sent something the peer will never accept, and is thrown as a LibrarianError (not retried).
 */
import { checkin, clone, ping, repair, search, validation } from '../../protocol';
import type { Call, RequestOf, ResponseOf } from '../../protocol/call';
import { ApiError, ConnectionError, UnexpectedAnswer, type LibrarianClient } from '../../protocol/client';
import { isAuthLevelName, type AuthLevelName } from '../../shared/authLevels';
import { LibrarianError } from '../../shared/errors';
import { statusName } from '../../shared/transferStatus';

/** A peer's definite "no" to a repair request: it has no good copy, or will not send us one. */
export class RepairRefused extends Error {
  constructor(
    readonly peer: string,
    readonly status: number,
    readonly reason: string,
    /** It has no good copy (rather than: it cannot send to us now). */
    readonly noCopy: boolean,
  ) {
    super(`${peer} refused (${status}): ${reason}`);
    this.name = 'RepairRefused';
  }
}

/** How v2 Librarians (and we) say "no good copy here" on corrupt/*. */
const NO_COPY = /^(We do not have a copy|Our copy of the file is also corrupt|This file does not exist)/i;

export interface PingResult {
  ok: boolean;
  /** The name it goes by; v2 Librarians do not say (their ping has only name and description). */
  librarianName?: string;
  /** Our account's permission level there; v2 Librarians do not say. */
  level?: AuthLevelName;
  error?: string;
}

/**
 * A batch a v2 peer would not stage whole (wire-v2.md §2.3 #7): nothing was staged; `ids` are the
 * items concerned (409: it has files by those names; 425: it is receiving them; 406: it failed
 * its own stale transfers for them, so asking again works).
 */
export interface BatchRefused {
  status: number;
  reason: string;
  ids: number[];
}

/** What search/file says of one file there (create_time: v2 servers give UTC without an offset). */
export type RemoteFile = ResponseOf<typeof search.file>[number];

export class PeerClient {
  constructor(
    readonly name: string,
    readonly http: LibrarianClient,
  ) {}

  private async call<C extends Call>(c: C, body: RequestOf<C>, timeoutMs?: number, what = c.path): Promise<ResponseOf<C>> {
    try {
      return await this.http.call(c, body, timeoutMs);
    } catch (e) {
      return this.fail(what, e);
    }
  }

  /** Throws a failure as Temporal should see it (see the header). */
  private fail(what: string, e: unknown): never {
    if (e instanceof ConnectionError) throw new Error(`${what} on ${this.name}: ${e.message}`);
    // Asking again gets the same answer; an operator must look (a different kind of server?).
    if (e instanceof UnexpectedAnswer) throw new LibrarianError(502, `${what} on ${this.name}: ${e.message}`, `Check that ${this.name}'s URL points at a Librarian (this version or v2).`);
    if (e instanceof ApiError) {
      // 403: our account there lacks the permission; only its operator can change that, so
      // retrying would hold a batch slot for days (a 401 may heal when a password is fixed).
      if (e.status === 400 || e.status === 403 || e.status === 404 || e.status === 422) {
        throw new LibrarianError(e.status, `${what} on ${this.name} was refused: ${e.reason}`, e.suggestedRemedy || "See the peer's logs.");
      }
      throw new Error(`${what} on ${this.name}: HTTP ${e.status} ${e.reason}`);
    }
    throw e;
  }

  /** Whether our credentials work there, and the name the peer gives itself. Never throws for an answer. */
  async ping(): Promise<PingResult> {
    try {
      const r = await this.http.call(ping.logged, {}, 10_000);
      const level = r.auth_level && isAuthLevelName(r.auth_level) ? r.auth_level : undefined;
      return { ok: true, librarianName: r.librarian_name, ...(level ? { level } : {}) };
    } catch (e) {
      if (e instanceof ApiError || e instanceof ConnectionError || e instanceof UnexpectedAnswer) return { ok: false, error: e.message };
      throw e;
    }
  }

  async batchStage(body: RequestOf<typeof clone.batchStage>): Promise<ResponseOf<typeof clone.batchStage> | BatchRefused> {
    try {
      // A batch of thousands of files takes the peer a while to stage.
      return await this.http.call(clone.batchStage, body, 100_000);
    } catch (e) {
      const refusal = e instanceof ApiError && [406, 409, 425].includes(e.status) ? clone.batchRefusal.safeParse(e.body) : undefined;
      if (refusal?.success) return { status: (e as ApiError).status, reason: (e as ApiError).reason, ids: refusal.data.source_transfer_ids };
      return this.fail('clone/batch_stage', e);
    }
  }

  /** search/file for one name: what it holds, or null when it has no such file. */
  async findFile(name: string): Promise<RemoteFile | null> {
    try {
      const found = await this.http.call(search.file, { name, max_results: 1 }, 60_000);
      return found[0] ?? null;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      return this.fail('search/file', e);
    }
  }

  checkinUpdate(body: RequestOf<typeof checkin.update>, timeoutMs?: number): Promise<ResponseOf<typeof checkin.update>> {
    const status = statusName(body.new_status as number | string) ?? String(body.new_status);
    return this.call(checkin.update, body, timeoutMs, `checkin/update ${status}`);
  }

  checkinStatus(body: RequestOf<typeof checkin.status>): Promise<ResponseOf<typeof checkin.status>> {
    return this.call(checkin.status, body);
  }

  cloneComplete(body: RequestOf<typeof clone.complete>): Promise<ResponseOf<typeof clone.complete>> {
    return this.call(clone.complete, body);
  }

  /** Its verdicts on its copies of a file (and, with peers, its peers' verdicts). Hashing 20 GB takes a while. */
  validateFile(body: RequestOf<typeof validation.file>, timeoutMs = 6 * 3600_000): Promise<ResponseOf<typeof validation.file>> {
    return this.call(validation.file, body, timeoutMs);
  }

  corruptPrepare(body: RequestOf<typeof repair.corruptPrepare>): Promise<ResponseOf<typeof repair.corruptPrepare>> {
    // It hashes its copy again before answering.
    return this.repairCall(repair.corruptPrepare, body, 6 * 3600_000);
  }

  corruptResend(body: RequestOf<typeof repair.corruptResend>): Promise<ResponseOf<typeof repair.corruptResend>> {
    return this.repairCall(repair.corruptResend, body, 10 * 60_000);
  }

  /**
   * corrupt/*: a 4xx (401: our account is not named after us there; 409: no good copy, or cannot
   * send) is its answer. So is a v2 Librarian's 500 for a file it lacks or holds no available copy
   * of (its intended 409 is mis-coded: wire-v2.md §2.10, step 3), told from a passing fault by its
   * search/file; any other failure is thrown to be retried.
   */
  private async repairCall<C extends typeof repair.corruptPrepare | typeof repair.corruptResend>(c: C, body: RequestOf<C>, timeoutMs: number): Promise<ResponseOf<C>> {
    try {
      return await this.http.call(c, body, timeoutMs);
    } catch (e) {
      // 429: our logins there are held back for a while, which is no answer to the request.
      if (e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 429) {
        const noCopy = (e.body as { no_copy?: unknown } | null)?.no_copy === true || NO_COPY.test(e.reason);
        throw new RepairRefused(this.name, e.status, e.reason, noCopy);
      }
      if (e instanceof ApiError && e.status === 500) {
        const theirs = await this.findFile(body.file_name).catch(() => undefined);
        if (theirs === null || (theirs && !theirs.instances.some((i) => i.available))) {
          const has = theirs ? 'lists no available copy' : 'does not list the file';
          throw new RepairRefused(this.name, 500, `No copy there: ${c.path} answered HTTP 500 and its search/file ${has}.`, true);
        }
      }
      return this.fail(c.path, e);
    }
  }
}
