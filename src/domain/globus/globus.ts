/**
 * Globus Transfer through @globus/sdk with a confidential client (service account). Facts and
 * traps: ../shared/reference/globus.md. The SDK never throws on HTTP status and retries
 * nothing, so this adapter classifies answers: what may heal by itself (network, 5xx, 429, an
 * expired token) is thrown as a plain Error for Temporal to retry; what will not (400, 403,
 * 404, 409) as a LibrarianError, which activities turn into a non-retryable failure.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { request as serviceRequest, transfer } from '@globus/sdk';
import type { Config } from '../../config';
import type { Logger } from '../../logger';
import { LibrarianError } from '../../shared/errors';

export interface GlobusTask {
  taskId: string;
  status: 'ACTIVE' | 'INACTIVE' | 'SUCCEEDED' | 'FAILED';
  faults: number;
  niceStatus: string | null;
  fatalError: { code: string; description: string } | null;
  bytesTransferred: number;
  filesTransferred: number;
  requestTime: string | null;
  completionTime: string | null;
  sourceEndpointId: string | null;
  destinationEndpointId: string | null;
}

export interface GlobusItem {
  sourcePath: string;
  destinationPath: string;
  recursive: boolean;
}

const SYNC_LEVEL = { exists: 0, size: 1, mtime: 2, checksum: 3 } as const;

export type GlobusOutcome =
  | { status: 'SUCCEEDED'; bytes: number; files: number; requestTime: string | null; completionTime: string | null; sourceEndpointId: string | null; destinationEndpointId: string | null }
  | { status: 'FAILED'; reason: string }
  | { status: 'FATAL_FAULT'; reason: string };

/**
 * Points the SDK at the configured service URLs (tests use a local fake). The SDK reads them only
 * from the environment (GLOBUS_SDK_SERVICE_URL_*, its documented mechanism), so the process that
 * talks to Globus sets them once when it starts.
 */
export function useGlobusServiceUrls(config: Config['globus']): void {
  if (config.transferUrl) process.env.GLOBUS_SDK_SERVICE_URL_TRANSFER = config.transferUrl;
  if (config.authUrl) process.env.GLOBUS_SDK_SERVICE_URL_AUTH = config.authUrl;
}

export class GlobusService {
  /** The access token, fetched again before it expires (or when refused). */
  private token: { value: string; expiresAt: number } | undefined;
  /** A token request under way: concurrent callers share it rather than each asking Globus. */
  private fetching: Promise<string> | undefined;

  constructor(
    private readonly config: Config['globus'],
    private readonly log: Logger,
  ) {}

  private sdkOptions() {
    return { fetch: { options: { signal: AbortSignal.timeout(this.config.requestTimeout) } } };
  }

  private async send(what: string, fn: () => Promise<Response>): Promise<Response> {
    try {
      return await fn();
    } catch (e) {
      // FetchError (refused, reset, DNS), AbortError (timeout), invalid JSON: all transient.
      throw new Error(`Globus ${what}: ${(e as Error).name}: ${(e as Error).message}`);
    }
  }

  private async fail(what: string, res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let code = '';
    try {
      code = (JSON.parse(text) as { code?: string }).code ?? '';
    } catch {
      /* HTML error page */
    }
    const detail = `HTTP ${res.status}${code ? ` ${code}` : ''}: ${text.slice(0, 300)}`;
    if (res.status === 429 || (res.status >= 500 && !/ExternalError|EndpointError/.test(code))) {
      throw new Error(`Globus ${what} is unavailable for now (${detail}).`);
    }
    throw new LibrarianError(res.status >= 500 ? 502 : res.status, `Globus refused ${what} (${detail}).`, 'Check the Globus configuration (client, endpoints, permissions) of this Librarian.');
  }

  async accessToken(force = false): Promise<string> {
    if (!force && this.token && this.token.expiresAt - 60_000 > Date.now()) return this.token.value;
    this.fetching ??= this.fetchToken().finally(() => {
      this.fetching = undefined;
    });
    return this.fetching;
  }

  private async fetchToken(): Promise<string> {
    const now = Date.now();
    const basic = Buffer.from(`${this.config.clientId}:${this.config.clientSecret ?? ''}`).toString('base64');
    const res = await this.send('authentication', () =>
      serviceRequest(
        { service: 'AUTH' as never, path: '/v2/oauth2/token', method: 'POST' as never, preventRetry: true },
        {
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: transfer.CONFIG.SCOPES.ALL }) as never,
          headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
        },
        this.sdkOptions(),
      ),
    );
    if (!res.ok) {
      // A refused client is a configuration problem, but it can be fixed without restarting
      // anything; keep retrying (and logging) rather than failing transfers.
      if (res.status === 400 || res.status === 401) {
        this.log.error({ status: res.status }, 'Globus refuses our client credentials');
        throw new Error(`Globus authentication refused the client credentials (HTTP ${res.status}); check globus.clientId/clientSecret.`);
      }
      await this.fail('authentication', res);
    }
    const body = (await res.json()) as { access_token: string; expires_in: number };
    this.token = { value: body.access_token, expiresAt: now + body.expires_in * 1000 };
    return body.access_token;
  }

  /** A Transfer call with our token; a 401 fetches a new token and tries once more. */
  private async authorized(what: string, fn: (headers: Record<string, string>) => Promise<Response>): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.accessToken(attempt > 0);
      const res = await this.send(what, () => fn({ Authorization: `Bearer ${token}` }));
      if (res.status === 401 && attempt === 0) {
        this.token = undefined;
        continue;
      }
      if (res.status === 401) throw new Error(`Globus ${what}: our token is refused (HTTP 401) even after renewing it.`);
      return res;
    }
  }

  private async json<T>(what: string, res: Response): Promise<T> {
    if (!res.ok) await this.fail(what, res);
    try {
      return (await res.json()) as T;
    } catch (e) {
      throw new Error(`Globus ${what}: the answer is not JSON (${(e as Error).message}).`);
    }
  }

  /** Obtained once per batch and reused on every submit retry: Globus then runs the task once. */
  async submissionId(): Promise<string> {
    const res = await this.authorized('submission id', (headers) => transfer.taskSubmission.submissionId({ headers }, this.sdkOptions()));
    return (await this.json<{ value: string }>('submission id', res)).value;
  }

  async submit(submissionId: string, destinationEndpointId: string, items: GlobusItem[], label: string, deadline?: Date): Promise<string> {
    const payload = {
      submission_id: submissionId,
      source_endpoint: this.config.localEndpointId,
      destination_endpoint: destinationEndpointId,
      label: label.slice(0, 128).trim(),
      sync_level: SYNC_LEVEL[this.config.syncLevel],
      verify_checksum: this.config.verifyChecksum,
      encrypt_data: this.config.encryptData,
      preserve_timestamp: true,
      notify_on_succeeded: false,
      notify_on_failed: false,
      notify_on_inactive: false,
      skip_source_errors: false,
      fail_on_quota_errors: true,
      ...(deadline ? { deadline: deadline.toISOString() } : {}),
      DATA: items.map((i) => ({ DATA_TYPE: 'transfer_item', source_path: i.sourcePath, destination_path: i.destinationPath, recursive: i.recursive })),
    };
    const res = await this.authorized('transfer submission', (headers) => transfer.taskSubmission.submitTransfer({ payload: payload as never, headers }, this.sdkOptions()));
    // "Duplicate" (a retry of a submission that went through) carries the same task id.
    return (await this.json<{ task_id: string }>('transfer submission', res)).task_id;
  }

  async task(taskId: string): Promise<GlobusTask> {
    const res = await this.authorized('task status', (headers) => transfer.task.get(taskId, { headers }, this.sdkOptions()));
    const t = await this.json<Record<string, unknown>>('task status', res);
    return {
      taskId,
      status: t.status as GlobusTask['status'],
      faults: Number(t.faults ?? 0),
      niceStatus: (t.nice_status as string | null) ?? null,
      fatalError: (t.fatal_error as GlobusTask['fatalError']) ?? null,
      bytesTransferred: Number(t.bytes_transferred ?? 0),
      filesTransferred: Number(t.files_transferred ?? 0),
      requestTime: (t.request_time as string | null) ?? null,
      completionTime: (t.completion_time as string | null) ?? null,
      sourceEndpointId: (t.source_endpoint_id as string | null) ?? null,
      destinationEndpointId: (t.destination_endpoint_id as string | null) ?? null,
    };
  }

  /** Error events, newest first. */
  async errorEvents(taskId: string): Promise<{ code: string; description: string; time: string }[]> {
    const res = await this.authorized('task events', (headers) => transfer.task.getEventList(taskId, { headers, query: { filter: 'is_error:1', limit: 20 } } as never, this.sdkOptions()));
    const body = await this.json<{ DATA?: { code: string; description: string; time: string }[] }>('task events', res);
    return body.DATA ?? [];
  }

  /** Best effort: Globus answers 200 for tasks that already ended too. */
  async cancel(taskId: string): Promise<void> {
    const res = await this.authorized('task cancel', (headers) => transfer.task.cancel(taskId, { headers }, this.sdkOptions()));
    if (!res.ok && res.status !== 404) await this.fail('task cancel', res);
  }

  /**
   * One poll of a task, and while it shows a fault whose code is fatal, more polls `intervalMs`
   * apart before the fault is believed: Globus keeps retrying faulted tasks, and many faults heal.
   * Throws while the task simply runs (the caller's retry policy is the polling cadence).
   */
  async watch(taskId: string, opts: { fatalFaultPolls: number; intervalMs: number; onPoll?: (t: GlobusTask) => void; signal?: AbortSignal }): Promise<GlobusOutcome> {
    for (let seen = 0; ; ) {
      const t = await this.task(taskId);
      opts.onPoll?.(t);
      if (t.status === 'SUCCEEDED') {
        return { status: 'SUCCEEDED', bytes: t.bytesTransferred, files: t.filesTransferred, requestTime: t.requestTime, completionTime: t.completionTime, sourceEndpointId: t.sourceEndpointId, destinationEndpointId: t.destinationEndpointId };
      }
      if (t.status === 'FAILED') return { status: 'FAILED', reason: `Globus task ${taskId} failed: ${t.fatalError?.code ?? ''} ${t.fatalError?.description ?? ''}`.trim() };
      const fatal = t.faults > 0 ? (await this.errorEvents(taskId)).find((e) => this.config.fatalFaults.includes(e.code)) : undefined;
      if (!fatal) throw new Error(`Globus task ${taskId} is ${t.status}${t.niceStatus ? ` (${t.niceStatus})` : ''}.`);
      if (++seen >= opts.fatalFaultPolls) return { status: 'FATAL_FAULT', reason: `Globus task ${taskId} keeps failing with ${fatal.code}: ${fatal.description}` };
      await delay(opts.intervalMs, undefined, { signal: opts.signal });
    }
  }
}

export function toCollectionPath(root: string, p: string): string {
  const r = root.endsWith('/') ? root.slice(0, -1) : root;
  if (r && p !== r && !p.startsWith(`${r}/`)) {
    throw new LibrarianError(400, `${p} is outside the Globus collection root ${root}.`, 'Fix globus.localRoot (or the store\'s transferMethods.globus.root).');
  }
  return `/${p.slice(r.length).replace(/^\/+/, '')}`;
}
