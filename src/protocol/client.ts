import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { describeIssues, type Call, type DataCall, type RequestOf, type ResponseOf } from './call';

/**
 * HTTP client for a Librarian's API (ours or v2's), used by the CLI and by the peer client.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly suggestedRemedy: string,
    readonly body: unknown,
    readonly url: string,
  ) {
    super(`${reason} (HTTP ${status} from ${url})`);
    this.name = 'ApiError';
  }
}

/** The server could not be reached or did not answer in time. */
export class ConnectionError extends Error {
  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`Cannot reach the Librarian at ${url}: ${(cause as Error)?.cause ? String(((cause as Error).cause as Error).message ?? (cause as Error).cause) : (cause as Error)?.message}`);
    this.name = 'ConnectionError';
  }
}

/** The server answered, but not in the shape the protocol module describes. */
export class UnexpectedAnswer extends Error {
  constructor(
    readonly url: string,
    readonly problems: string,
  ) {
    super(`The answer from ${url} is not one this Librarian understands (${problems}).`);
    this.name = 'UnexpectedAnswer';
  }
}

export interface ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
}

export class LibrarianClient {
  readonly url: string;
  constructor(private readonly opts: ClientOptions) {
    this.url = opts.url.replace(/\/+$/, '');
  }

  get username(): string | undefined {
    return this.opts.username;
  }

  authHeader(): Record<string, string> {
    if (this.opts.username === undefined) return {};
    const token = Buffer.from(`${this.opts.username}:${this.opts.password ?? ''}`).toString('base64');
    return { Authorization: `Basic ${token}` };
  }

  endpoint(path: string): string {
    return `${this.url}/api/v2/${path.replace(/^\/+/, '')}`;
  }

  /** One call of the protocol module: its answer parsed (and checked) by the call's schema. */
  async call<C extends Call>(c: C, body: RequestOf<C>, timeoutMs?: number): Promise<ResponseOf<C>> {
    return (await this.callWithHeaders(c, body, timeoutMs)).body;
  }

  /** The same, with the response headers (search pages carry X-Next-Cursor). */
  async callWithHeaders<C extends Call>(c: C, body: RequestOf<C>, timeoutMs?: number): Promise<{ body: ResponseOf<C>; headers: AnswerHeaders }> {
    const r = await this.request<unknown>(c.path, body, timeoutMs);
    const parsed = c.response.safeParse(r.body);
    if (!parsed.success) throw new UnexpectedAnswer(this.endpoint(c.path), describeIssues(parsed.error));
    return { body: parsed.data as ResponseOf<C>, headers: r.headers };
  }

  async post<T = unknown>(path: string, body: unknown = {}, timeoutMs = this.opts.timeoutMs ?? 60_000): Promise<T> {
    return (await this.request<T>(path, body, timeoutMs)).body;
  }

  /** POST returning the response headers too (search pages carry X-Next-Cursor). */
  async request<T = unknown>(path: string, body: unknown = {}, timeoutMs = this.opts.timeoutMs ?? 60_000): Promise<{ body: T; headers: AnswerHeaders }> {
    const url = this.endpoint(path);
    const json = JSON.stringify(body);
    const answer = await exchange(url, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(json)), Accept: 'application/json', ...this.authHeader() }, signal: AbortSignal.timeout(timeoutMs) }, (req) => req.end(json));
    return { body: LibrarianClient.parse<T>(answer, url), headers: answer.headers };
  }

  /** A data stream to a data call of the protocol module: its answer parsed (and checked) by the call's schema. */
  async send<P extends Record<string, string | number>, Res extends z.ZodType>(c: DataCall<P, Res>, params: P, body: AsyncIterable<Uint8Array>, headers: Record<string, string>): Promise<z.output<Res>> {
    const path = c.at(params);
    const answer = await this.put<unknown>(path, body, headers);
    const parsed = c.response.safeParse(answer);
    if (!parsed.success) throw new UnexpectedAnswer(this.endpoint(path), describeIssues(parsed.error));
    return parsed.data;
  }

  /** PUT of a data stream (HTTP upload). */
  async put<T = unknown>(path: string, body: AsyncIterable<Uint8Array>, headers: Record<string, string>): Promise<T> {
    const url = this.endpoint(path);
    // A server that refuses early answers before reading everything: the answer wins.
    const answer = await exchange(url, { method: 'PUT', headers: { Accept: 'application/json', ...this.authHeader(), ...headers } }, (req) => void pipeline(Readable.from(body), req).catch(() => undefined));
    return LibrarianClient.parse<T>(answer, url);
  }

  static parse<T>(answer: Answer, url: string): T {
    let parsed: unknown = answer.text;
    try {
      parsed = answer.text ? JSON.parse(answer.text) : null;
    } catch {
      /* not JSON: keep the text */
    }
    if (answer.status < 200 || answer.status > 299) {
      const { reason, remedy } = failureOf(parsed);
      throw new ApiError(answer.status, reason ?? answer.statusText, remedy ?? '', parsed, url);
    }
    return parsed as T;
  }
}

/** An answer's headers, looked up by name in any case. */
export interface AnswerHeaders {
  get(name: string): string | null;
}

interface Answer {
  status: number;
  statusText: string;
  text: string;
  headers: AnswerHeaders;
}

/**
 * One request through node:http(s), its answer read whole. Not fetch: the first fetch in a
 * process loads undici (30-50 ms of CPU, paid by every CLI command), and streaming a request
 * body through fetch ran at half the speed (docs/benchmarks.md).
 */
function exchange(url: string, options: http.RequestOptions, write: (req: http.ClientRequest) => void): Promise<Answer> {
  const transport = url.startsWith('https:') ? https : http;
  return new Promise<Answer>((resolve, reject) => {
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? '',
          text: Buffer.concat(chunks).toString('utf8'),
          headers: {
            get: (name) => {
              const v = raw[name.toLowerCase()];
              return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
            },
          },
        });
      });
      res.on('error', (e) => reject(new ConnectionError(url, e)));
    });
    req.on('error', (e) => reject(new ConnectionError(url, e)));
    write(req);
  });
}

/**
 * The reason and remedy of an error body, in every shape a v2 server sends: top level
 * {reason, suggested_remedy}; {detail: string}; {detail: "<that object as JSON>"};
 * {detail: {reason, suggested_remedy}} (corrupt/*); {detail: [{loc, msg}, ...]} (422); and a
 * user change's {success: false, username} (users/create, delete: no reason at all).
 */
export function failureOf(body: unknown): { reason?: string; remedy?: string } {
  if (typeof body === 'string') return body ? { reason: body.slice(0, 300) } : {};
  if (!body || typeof body !== 'object') return {};
  const b = body as { reason?: unknown; suggested_remedy?: unknown; detail?: unknown };
  if (typeof b.reason === 'string') return { reason: b.reason, remedy: typeof b.suggested_remedy === 'string' ? b.suggested_remedy : undefined };
  const d = b.detail;
  // v2's user changes fail in their answer's shape, {success: false, username}, with no reason (wire-v2.md §2.6).
  const u = body as { success?: unknown; username?: unknown };
  if (d === undefined && u.success === false && typeof u.username === 'string') return { reason: `The server refused the change to user "${u.username}" and gave no reason (success: false).` };
  if (typeof d === 'string') {
    try {
      const inner: unknown = JSON.parse(d);
      if (inner && typeof inner === 'object') {
        const r = failureOf(inner);
        if (r.reason) return r;
      }
    } catch {
      /* a plain message */
    }
    return { reason: d };
  }
  if (Array.isArray(d)) {
    const parts = d.map((x: { loc?: unknown[]; msg?: string }) => (x && typeof x === 'object' ? `${Array.isArray(x.loc) ? `${x.loc.join('.')}: ` : ''}${x.msg ?? JSON.stringify(x)}` : String(x)));
    return { reason: parts.join('; ') };
  }
  if (d && typeof d === 'object') return failureOf(d);
  return {};
}
