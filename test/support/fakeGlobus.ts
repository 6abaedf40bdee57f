/**
 * A fake Globus Transfer + Auth service on 127.0.0.1 (the Transfer v0.10 and OAuth2 calls we use),
 * for the real @globus/sdk to talk to. It copies files for real between the directories that
 * stand for the endpoints, and tests can make it flip bytes, fault, fail, or be unreachable.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization: string | undefined;
  body: unknown;
}

export type OutageMode = 'json503' | 'html503' | 'reset' | 'hang';

interface Task {
  task_id: string;
  owner: string;
  status: 'ACTIVE' | 'INACTIVE' | 'SUCCEEDED' | 'FAILED';
  label: string;
  source_endpoint_id: string;
  destination_endpoint_id: string;
  request_time: string;
  completion_time: string | null;
  faults: number;
  nice_status: string | null;
  fatal_error: { code: string; description: string } | null;
  bytes_transferred: number;
  files_transferred: number;
  items: { source_path: string; destination_path: string; recursive?: boolean }[];
  events: { code: string; is_error: boolean; description: string; time: string }[];
}

export interface FakeGlobusPlan {
  /** Delay before a task copies and succeeds. */
  delayMs: number;
  /** Hold tasks ACTIVE until the test calls succeed(). */
  hold: boolean;
  /** Flip one byte in what is delivered for the first `times` items whose source path matches. */
  corrupt?: { pattern: RegExp; times: number };
  /** The next submission creates its task but the reply is lost (503): the retry must get Duplicate. */
  loseNextSubmitReply?: boolean;
  /** New tasks fault with this code and stay ACTIVE (as Globus does). */
  faultCode?: string;
}

function globusTime(d = new Date()): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+00:00');
}

export class FakeGlobus {
  readonly requests: RecordedRequest[] = [];
  readonly tasks = new Map<string, Task>();
  private readonly submissions = new Map<string, string>();
  private readonly issued = new Map<string, { owner: string; expires: number }>();
  private server?: http.Server;
  private readonly sockets = new Set<Socket>();
  private outage?: { scope: 'transfer' | 'auth' | 'all'; mode: OutageMode; until: number };
  plan: FakeGlobusPlan = { delayMs: 200, hold: false };
  /** Submissions answered "Duplicate" (the same submission id seen again). */
  duplicatesAnswered = 0;
  url = '';

  constructor(
    private readonly clients: Record<string, string>,
    /** Endpoint id → the local directory its "/" maps to. */
    private readonly endpoints: Record<string, string>,
    private readonly tokenLifetimeS = 172_800,
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** Makes the service unreachable in the given way for `ms` (tasks keep running meanwhile). */
  setOutage(scope: 'transfer' | 'auth' | 'all', mode: OutageMode, ms: number): void {
    this.outage = { scope, mode, until: Date.now() + ms };
  }

  clearOutage(): void {
    this.outage = undefined;
  }

  /** Invalidates every token issued so far: the next Transfer call gets 401 AuthenticationFailed. */
  revokeTokens(): void {
    this.issued.clear();
  }

  count(method: string, pathPrefix: string): number {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix)).length;
  }

  private json(res: http.ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string, resource: string): void {
    this.json(res, status, { code, message, request_id: randomBytes(6).toString('hex'), resource });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: unknown = raw;
    try {
      body = raw && (req.headers['content-type'] ?? '').includes('json') ? JSON.parse(raw) : raw ? Object.fromEntries(new URLSearchParams(raw)) : undefined;
    } catch {
      body = raw;
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), authorization: req.headers.authorization, body });

    const scope = url.pathname.startsWith('/v2/') ? 'auth' : 'transfer';
    if (this.outage && Date.now() < this.outage.until && (this.outage.scope === 'all' || this.outage.scope === scope)) {
      switch (this.outage.mode) {
        case 'json503':
          return this.error(res, 503, 'ServiceUnavailable', 'The service is down for maintenance.', url.pathname);
        case 'html503':
          res.writeHead(503, { 'Content-Type': 'text/html' });
          return void res.end('<html><body>503 Service Unavailable</body></html>');
        case 'reset':
          return void req.socket.destroy();
        case 'hang':
          return;
      }
    }

    if (url.pathname === '/v2/oauth2/token' && req.method === 'POST') return this.token(req, res, body as Record<string, string>);
    const owner = this.owner(req);
    if (!owner) return this.error(res, 401, 'AuthenticationFailed', 'Token is not valid.', url.pathname);

    const m = /^\/v0\.10\/task\/([^/]+)(\/event_list|\/cancel)?$/.exec(url.pathname);
    if (url.pathname === '/v0.10/submission_id' && req.method === 'GET') {
      const value = randomUUID();
      this.submissions.set(value, '');
      return this.json(res, 200, { DATA_TYPE: 'submission_id', value });
    }
    if (url.pathname === '/v0.10/transfer' && req.method === 'POST') return this.submit(res, owner, body as Record<string, unknown>);
    if (m) {
      const task = this.tasks.get(m[1]!);
      if (!task || task.owner !== owner) return this.error(res, 404, 'ClientError.NotFound', `Task ${m[1]} not found.`, url.pathname);
      if (!m[2]) return this.json(res, 200, this.document(task));
      if (m[2] === '/event_list') {
        const errorsOnly = url.searchParams.get('filter') === 'is_error:1';
        const events = [...task.events].reverse().filter((e) => !errorsOnly || e.is_error);
        return this.json(res, 200, { DATA_TYPE: 'event_list', DATA: events.map((e) => ({ DATA_TYPE: 'event', details: '', ...e })), limit: 10, offset: 0, total: events.length });
      }
      if (m[2] === '/cancel' && req.method === 'POST') {
        if (task.status === 'ACTIVE' || task.status === 'INACTIVE') {
          this.finish(task, 'FAILED', { code: 'CANCELED', description: 'The task was canceled by the user.' });
          return this.json(res, 200, { DATA_TYPE: 'result', code: 'Canceled', message: 'The task has been cancelled successfully.', resource: `/task/${task.task_id}/cancel`, request_id: 'x' });
        }
        return this.json(res, 200, { DATA_TYPE: 'result', code: 'TaskComplete', message: 'The task already ended.', resource: `/task/${task.task_id}/cancel`, request_id: 'x' });
      }
    }
    return this.error(res, 404, 'ClientError.NotFound', `No route ${req.method} ${url.pathname}.`, url.pathname);
  }

  private token(req: http.IncomingMessage, res: http.ServerResponse, form: Record<string, string>): void {
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(':') : [];
    if (!id || this.clients[id] !== secret) return this.json(res, 401, { error: 'invalid_client' });
    if (form?.grant_type !== 'client_credentials') return this.json(res, 400, { error: 'unsupported_grant_type' });
    if (!String(form.scope ?? '').includes('urn:globus:auth:scope:transfer.api.globus.org:all')) return this.json(res, 400, { error: 'invalid_scope' });
    const token = randomBytes(16).toString('hex');
    this.issued.set(token, { owner: id, expires: Date.now() + this.tokenLifetimeS * 1000 });
    this.json(res, 200, { access_token: token, scope: form.scope, expires_in: this.tokenLifetimeS, token_type: 'Bearer', resource_server: 'transfer.api.globus.org', other_tokens: [] });
  }

  private owner(req: http.IncomingMessage): string | undefined {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const t = m ? this.issued.get(m[1]!) : undefined;
    return t && t.expires > Date.now() ? t.owner : undefined;
  }

  private submit(res: http.ServerResponse, owner: string, body: Record<string, unknown>): void {
    const sid = body.submission_id as string;
    if (body.DATA_TYPE !== 'transfer' || typeof sid !== 'string') return this.error(res, 400, 'ClientError.BadRequest', 'Not a transfer document.', '/v0.10/transfer');
    const data = body.DATA as Task['items'] | undefined;
    if (!Array.isArray(data) || data.length === 0) return this.error(res, 400, 'ClientError.BadRequest.NoTransferItems', 'A transfer requires at least one item', '/v0.10/transfer');
    const src = body.source_endpoint as string;
    const dst = body.destination_endpoint as string;
    if (!this.endpoints[src] || !this.endpoints[dst]) return this.error(res, 404, 'EndpointNotFound', 'No such endpoint.', '/v0.10/transfer');
    const existing = this.submissions.get(sid);
    if (existing) this.duplicatesAnswered++;
    if (existing) return this.json(res, 200, { DATA_TYPE: 'transfer_result', code: 'Duplicate', submission_id: sid, task_id: existing, resource: '/v0.10/transfer', request_id: 'x' });
    const task: Task = {
      task_id: randomUUID(),
      owner,
      status: 'ACTIVE',
      label: String(body.label ?? ''),
      source_endpoint_id: src,
      destination_endpoint_id: dst,
      request_time: globusTime(),
      completion_time: null,
      faults: 0,
      nice_status: 'OK',
      fatal_error: null,
      bytes_transferred: 0,
      files_transferred: 0,
      items: data,
      events: [{ code: 'STARTED', is_error: false, description: 'started', time: globusTime() }],
    };
    this.tasks.set(task.task_id, task);
    this.submissions.set(sid, task.task_id);
    if (this.plan.faultCode) {
      task.faults++;
      task.nice_status = this.plan.faultCode;
      task.events.push({ code: this.plan.faultCode, is_error: true, description: `${this.plan.faultCode} on the destination`, time: globusTime() });
    } else if (!this.plan.hold) {
      setTimeout(() => void this.run(task), this.plan.delayMs);
    }
    if (this.plan.loseNextSubmitReply) {
      this.plan.loseNextSubmitReply = false;
      return this.error(res, 503, 'ServiceUnavailable', 'Lost reply (the task was created).', '/v0.10/transfer');
    }
    this.json(res, 202, {
      DATA_TYPE: 'transfer_result',
      code: 'Accepted',
      message: 'The transfer has been accepted and a task has been created and queued for execution',
      request_id: 'x',
      resource: '/v0.10/transfer',
      submission_id: sid,
      task_id: task.task_id,
      task_link: { DATA_TYPE: 'link', href: `/v0.10/task/${task.task_id}?format=json`, rel: 'related', resource: 'task', title: 'related task' },
    });
  }

  private local(endpoint: string, p: string): string {
    return path.join(this.endpoints[endpoint]!, p);
  }

  /** Copies the task's items for real, then marks it SUCCEEDED. */
  async run(task: Task): Promise<void> {
    if (task.status !== 'ACTIVE') return;
    let bytes = 0;
    let files = 0;
    for (const item of task.items) {
      const from = this.local(task.source_endpoint_id, item.source_path);
      const to = this.local(task.destination_endpoint_id, item.destination_path);
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.cp(from, to, { recursive: true, force: true });
      const delivered = await listFiles(to);
      for (const f of delivered) {
        bytes += statSync(f).size;
        files++;
      }
      const victim = delivered.find((f) => statSync(f).size > 0);
      if (victim && this.plan.corrupt && this.plan.corrupt.times > 0 && this.plan.corrupt.pattern.test(item.source_path)) {
        this.plan.corrupt.times--;
        const b = readFileSync(victim);
        b[Math.floor(b.length / 2)] = b[Math.floor(b.length / 2)]! ^ 0x40;
        writeFileSync(victim, b);
      }
    }
    task.bytes_transferred = bytes;
    task.files_transferred = files;
    this.finish(task, 'SUCCEEDED');
  }

  succeed(taskId: string): Promise<void> {
    return this.run(this.tasks.get(taskId)!);
  }

  private finish(task: Task, status: 'SUCCEEDED' | 'FAILED', fatal?: { code: string; description: string }): void {
    task.status = status;
    task.completion_time = globusTime();
    task.nice_status = null;
    task.fatal_error = fatal ?? null;
    task.events.push({ code: status === 'SUCCEEDED' ? 'SUCCEEDED' : fatal!.code, is_error: status !== 'SUCCEEDED', description: status, time: globusTime() });
  }

  private document(t: Task) {
    const seconds = Math.max((Date.parse(t.completion_time?.replace(' ', 'T') ?? new Date().toISOString()) - Date.parse(t.request_time.replace(' ', 'T'))) / 1000, 0.001);
    return {
      DATA_TYPE: 'task',
      task_id: t.task_id,
      type: 'TRANSFER',
      status: t.status,
      label: t.label,
      owner_id: t.owner,
      request_time: t.request_time,
      completion_time: t.completion_time,
      source_endpoint_id: t.source_endpoint_id,
      destination_endpoint_id: t.destination_endpoint_id,
      faults: t.faults,
      files: t.items.length,
      files_transferred: t.files_transferred,
      bytes_transferred: t.bytes_transferred,
      effective_bytes_per_second: Math.round(t.bytes_transferred / seconds),
      subtasks_total: t.items.length,
      subtasks_pending: t.status === 'ACTIVE' ? t.items.length : 0,
      subtasks_succeeded: t.status === 'SUCCEEDED' ? t.items.length : 0,
      fatal_error: t.fatal_error,
      is_ok: t.status === 'ACTIVE' ? t.faults === 0 : null,
      nice_status: t.nice_status,
      history_deleted: false,
    };
  }
}

async function listFiles(p: string): Promise<string[]> {
  if (!existsSync(p)) return [];
  const st = await fs.stat(p);
  if (!st.isDirectory()) return [p];
  const out: string[] = [];
  for (const e of await fs.readdir(p)) out.push(...(await listFiles(path.join(p, e))));
  return out;
}
