/**
 * Calls to another Librarian, typed by the wire protocol (shared/wire). Failures are classified
 * for Temporal: connection problems, server errors and refused logins may heal (the peer is down
 * or being fixed) and are thrown as plain errors, which activities retry; a 400, 404 or 422 means
 * we sent something the peer will never accept, and is thrown as a LibrarianError (not retried).
 */
import { ApiError, ConnectionError, type LibrarianClient } from '../../shared/librarianClient';
import { LibrarianError } from '../../shared/errors';
import { statusName } from '../../shared/transferStatus';
import type {
  BatchStageRequest,
  BatchStageResponse,
  CheckinStatusRequest,
  CheckinStatusResponse,
  CheckinUpdateRequest,
  CheckinUpdateResponse,
  CloneCompleteRequest,
  CorruptPrepareRequest,
  CorruptPrepareResponse,
  CorruptResendRequest,
  CorruptResendResponse,
  PingResponse,
  ValidateFileRequest,
  ValidationItem,
} from '../../shared/wire';

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

/** What search/file says of one file there. */
export interface RemoteFile {
  /** ISO 8601; v2 servers give UTC without an offset. */
  create_time?: string;
  checksum: string;
  size: number;
  instances: { store_id?: number | null; available?: boolean }[];
}

export class PeerClient {
  constructor(
    readonly name: string,
    readonly http: LibrarianClient,
  ) {}

  private async call<T>(what: string, path: string, body: unknown, timeoutMs?: number): Promise<T> {
    try {
      return await this.http.post<T>(path, body, timeoutMs);
    } catch (e) {
      return this.fail(what, e);
    }
  }

  /** Throws a failure as Temporal should see it (see the header). */
  private fail(what: string, e: unknown): never {
    if (e instanceof ConnectionError) throw new Error(`${what} on ${this.name}: ${e.message}`);
    if (e instanceof ApiError) {
      if (e.status === 400 || e.status === 404 || e.status === 422) {
        throw new LibrarianError(e.status, `${what} on ${this.name} was refused: ${e.reason}`, e.suggestedRemedy || "See the peer's logs.");
      }
      throw new Error(`${what} on ${this.name}: HTTP ${e.status} ${e.reason}`);
    }
    throw e;
  }

  /** Whether our credentials work there, and the name the peer gives itself. Never throws for an answer. */
  async ping(): Promise<PingResult> {
    try {
      const r = await this.http.post<PingResponse>('ping/logged', {}, 10_000);
      return { ok: true, librarianName: r.librarian_name };
    } catch (e) {
      if (e instanceof ApiError || e instanceof ConnectionError) return { ok: false, error: e.message };
      throw e;
    }
  }

  async batchStage(body: BatchStageRequest): Promise<BatchStageResponse | BatchRefused> {
    try {
      // A batch of thousands of files takes the peer a while to stage.
      return await this.http.post<BatchStageResponse>('clone/batch_stage', body, 100_000);
    } catch (e) {
      const ids = e instanceof ApiError ? (e.body as { source_transfer_ids?: unknown } | null)?.source_transfer_ids : undefined;
      if (e instanceof ApiError && [406, 409, 425].includes(e.status) && Array.isArray(ids)) {
        return { status: e.status, reason: e.reason, ids: ids.filter((x): x is number => typeof x === 'number') };
      }
      return this.fail('clone/batch_stage', e);
    }
  }

  /** search/file for one name: what it holds, or null when it has no such file. */
  async findFile(name: string): Promise<RemoteFile | null> {
    try {
      const found = await this.http.post<RemoteFile[]>('search/file', { name, max_results: 1 }, 60_000);
      return found[0] ?? null;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      return this.fail('search/file', e);
    }
  }

  checkinUpdate(body: CheckinUpdateRequest, timeoutMs?: number): Promise<CheckinUpdateResponse> {
    const status = statusName(body.new_status) ?? String(body.new_status);
    return this.call(`checkin/update ${status}`, 'checkin/update', body, timeoutMs);
  }

  checkinStatus(body: CheckinStatusRequest): Promise<CheckinStatusResponse> {
    return this.call('checkin/status', 'checkin/status', body);
  }

  cloneComplete(body: CloneCompleteRequest): Promise<unknown> {
    return this.call('clone/complete', 'clone/complete', body);
  }

  /** Its verdicts on its copies of a file (and, with peers, its peers' verdicts). Hashing 20 GB takes a while. */
  validateFile(body: ValidateFileRequest, timeoutMs = 6 * 3600_000): Promise<ValidationItem[]> {
    return this.call('validate/file', 'validate/file', body, timeoutMs);
  }

  corruptPrepare(body: CorruptPrepareRequest): Promise<CorruptPrepareResponse> {
    // It hashes its copy again before answering.
    return this.repairCall('corrupt/prepare', body, 6 * 3600_000);
  }

  corruptResend(body: CorruptResendRequest): Promise<CorruptResendResponse> {
    return this.repairCall('corrupt/resend', body, 10 * 60_000);
  }

  /** corrupt/*: a 4xx (401: our account is not named after us there; 409: no good copy, or cannot send) is its answer. */
  private async repairCall<T>(path: string, body: unknown, timeoutMs: number): Promise<T> {
    try {
      return await this.http.post<T>(path, body, timeoutMs);
    } catch (e) {
      if (e instanceof ConnectionError) throw new Error(`${path} on ${this.name}: ${e.message}`);
      if (e instanceof ApiError && e.status >= 400 && e.status < 500) {
        const noCopy = (e.body as { no_copy?: unknown } | null)?.no_copy === true || NO_COPY.test(e.reason);
        throw new RepairRefused(this.name, e.status, e.reason, noCopy);
      }
      if (e instanceof ApiError) throw new Error(`${path} on ${this.name}: HTTP ${e.status} ${e.reason}`);
      throw e;
    }
  }
}
