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
  librarianName?: string;
  error?: string;
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
      if (e instanceof ConnectionError) throw new Error(`${what} on ${this.name}: ${e.message}`);
      if (e instanceof ApiError) {
        if (e.status === 400 || e.status === 404 || e.status === 422) {
          throw new LibrarianError(e.status, `${what} on ${this.name} was refused: ${e.reason}`, e.suggestedRemedy || "See the peer's logs.");
        }
        throw new Error(`${what} on ${this.name}: HTTP ${e.status} ${e.reason}`);
      }
      throw e;
    }
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

  batchStage(body: BatchStageRequest): Promise<BatchStageResponse> {
    // A batch of thousands of files takes the peer a while to stage.
    return this.call('clone/batch_stage', 'clone/batch_stage', body, 100_000);
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
