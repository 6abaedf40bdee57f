import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { Domain } from '../domain';
import type { Principal } from '../domain/users/users';
import type { Flows } from '../flows';
import type { AnswerOf, Call, ParsedRequestOf } from '../protocol/call';
import type { AuthLevelName } from '../shared/authLevels';

export interface HandlerContext<B> {
  body: B;
  /** Null only on NONE-level endpoints called without credentials. */
  principal: Principal | null;
  domain: Domain;
  flows: Flows;
  req: Request;
  res: Response;
}

/**
 * One API endpoint. The router, the OpenAPI document and the permission tests are all built
 * from these definitions, so they cannot disagree. A handler parses, authorises and calls one
 * function of a flow or of the domain.
 */
export interface Endpoint<S extends z.ZodType = z.ZodType> {
  method?: 'post' | 'get' | 'put';
  /** Path below /api/v2, e.g. "/users/create". */
  path: string;
  level: AuthLevelName;
  summary: string;
  /** JSON body schema; absent for endpoints whose body is raw data. */
  body?: S;
  /** Documented response body (OpenAPI only). */
  response?: z.ZodType;
  status?: number;
  /** Extra documented error statuses. */
  errors?: number[];
  /**
   * Statuses answered instead of the domain's (e.g. {404: 400}): the v2 Python client tells some
   * errors apart only by status and reason (wire-v2.md §1.5), on the endpoints it calls.
   */
  statusAs?: Partial<Record<number, number>>;
  /** Returns the JSON body to send, or undefined when the handler wrote the response itself. */
  handler: (ctx: HandlerContext<z.output<S>>) => Promise<unknown>;
}

export function endpoint<S extends z.ZodType>(e: Endpoint<S>): Endpoint {
  return e as unknown as Endpoint;
}

/**
 * An endpoint of the protocol module: its path, request schema and answer come from the call,
 * and the handler must return that answer.
 */
export function route<C extends Call>(
  c: C,
  e: Omit<Endpoint, 'path' | 'body' | 'response' | 'handler'> & { handler: (ctx: HandlerContext<ParsedRequestOf<C>>) => Promise<AnswerOf<C>> },
): Endpoint {
  return { ...e, path: `/${c.path}`, body: c.request, response: c.response, handler: e.handler } as unknown as Endpoint;
}

/** Results per page: what the client asked for, at least 1 and at most api.maxSearchResults. */
export function pageSize(asked: number | undefined, domain: Domain): number {
  const max = domain.config.api.maxSearchResults;
  return Math.max(Math.min(asked ?? max, max), 1);
}
