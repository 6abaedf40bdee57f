import { z } from 'zod';
import { parseTime } from '../shared/times';

/**
 * One endpoint of the HTTP protocol (/api/v2): its path, what a request may hold and what the
 * answer holds. The server parses requests with `request` and its route must return the input
 * of `response`; clients (the CLI, peer Librarians) send the input of `request` and parse the
 * answer with `response`; the OpenAPI document shows both. A field renamed on one side thus
 * fails to compile on the other, and an answer a peer cannot read fails with a clear reason.
 *
 * Requests accept what v2 clients send (a null member means "not given": the server drops nulls
 * before parsing). Answers hold every field v2 clients and peers read; fields v2 servers do not
 * send are optional, and fields they send as null are nullable, so the same schema reads a v2
 * server's answer.
 */
export interface Call<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  /** Below /api/v2, without a leading slash, e.g. "upload/stage". */
  readonly path: string;
  readonly request: Req;
  readonly response: Res;
}

export function call<Req extends z.ZodType, Res extends z.ZodType>(path: string, request: Req, response: Res): Call<Req, Res> {
  return { path, request, response };
}

/**
 * An endpoint whose request is a data stream (PUT), not JSON: its path template ("upload/:transfer_id/data"),
 * filled in by `at`, and its answer, which clients parse and the OpenAPI document shows.
 */
export interface DataCall<P extends Record<string, string | number> = Record<string, string | number>, Res extends z.ZodType = z.ZodType> {
  readonly path: string;
  readonly at: (params: P) => string;
  readonly response: Res;
}

export function dataCall<P extends Record<string, string | number>, Res extends z.ZodType>(path: string, response: Res): DataCall<P, Res> {
  return { path, at: (params) => path.replace(/:(\w+)/g, (_, k: string) => encodeURIComponent(String(params[k]))), response };
}

/** What a client sends. */
export type RequestOf<C extends Call> = z.input<C['request']>;
/** What the server's route works with, once parsed. */
export type ParsedRequestOf<C extends Call> = z.output<C['request']>;
/** What a route returns (serialised as JSON). */
export type AnswerOf<C extends Call> = z.input<C['response']>;
/** What a client reads from the answer. */
export type ResponseOf<C extends Call> = z.output<C['response']>;

/** Times on the wire: ISO 8601 (v2 servers send UTC without an offset). */
export const time = z.string().describe('ISO 8601 time');

/**
 * A time in a request, read into a Date: ISO 8601 (no offset means UTC) or a Unix time in
 * seconds, as v2 clients send them; years 0001 to 9999 (src/shared/times.ts).
 */
export const timeInput = z
  .union([z.string(), z.number()], { error: 'expected an ISO 8601 time or a Unix time in seconds' })
  .transform((v, ctx) => {
    const t = parseTime(v);
    if (t instanceof Date) return t;
    ctx.addIssue({ code: 'custom', message: t.problem });
    return z.NEVER;
  })
  .describe('ISO 8601 time (without an offset: UTC), or a Unix time in seconds; years 0001 to 9999');

/** A Date, as `time` carries it. */
export const iso = (d: Date): string => d.toISOString();
export const isoOrNull = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);

/**
 * v2 clients send unset fields as explicit nulls (wire-v2.md §1.6): a null object member means
 * "not given", everywhere in a request body.
 */
export function withoutNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNulls);
  if (!v || typeof v !== 'object' || v instanceof Date) return v;
  return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== null).map(([k, x]) => [k, withoutNulls(x)]));
}

/**
 * Where a request holds a string with NUL (U+0000), which PostgreSQL can neither store nor
 * compare ("uploads.3.uploader"; "(body)" for the body itself), or undefined.
 */
export function nulAt(v: unknown): string | undefined {
  const at = nulPath(v);
  return at && (at.reverse().join('.') || '(body)');
}

/** The path to the first NUL, innermost key first; built only on a hit (bodies of 10,000 items pass here). */
function nulPath(v: unknown): (string | number)[] | undefined {
  if (typeof v === 'string') return v.includes('\0') ? [] : undefined;
  if (!v || typeof v !== 'object') return undefined;
  for (const [k, x] of Array.isArray(v) ? v.entries() : Object.entries(v)) {
    const at = nulPath(x);
    if (at) {
      at.push(k);
      return at;
    }
  }
  return undefined;
}

/** One line per problem: "field.path: message". */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
}
