import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LibrarianError } from '../../src/shared/errors';
import { ApiError } from '../../src/protocol/client';

/** The ApiError a call fails with (the test fails if the call succeeds or fails otherwise). */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}

/** The LibrarianError a domain call fails with (the test fails if the call succeeds or fails otherwise). */
export async function librarianError(p: Promise<unknown>): Promise<LibrarianError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LibrarianError) return e;
    throw e;
  }
  throw new Error('expected a LibrarianError');
}

export interface StandInCall {
  endpoint: string;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Reply = (status: number, json?: unknown) => void;

/** A plain-text answer body (as v2's unhandled errors: `Internal Server Error`, text/plain). */
export class PlainText {
  constructor(readonly text: string) {}
}

/**
 * A stand-in for another Librarian: an HTTP server that records every POST /api/v2/<endpoint>
 * with its JSON body in `calls` and lets `answer` reply (no JSON: an empty body; a PlainText: text).
 */
export function standInServer(calls: StandInCall[], answer: (endpoint: string, body: any, reply: Reply) => unknown): http.Server { // eslint-disable-line @typescript-eslint/no-explicit-any
  return http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const endpoint = req.url!.replace(/^\/api\/v2\//, '');
      const body = raw ? JSON.parse(raw) : {};
      calls.push({ endpoint, body });
      const reply: Reply = (status, json) => {
        if (json instanceof PlainText) {
          res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
          return res.end(json.text);
        }
        res.writeHead(status, json === undefined ? {} : { 'Content-Type': 'application/json' });
        res.end(json === undefined ? '' : JSON.stringify(json));
      };
      void answer(endpoint, body, reply);
    });
  });
}

/** A webhook receiver: an HTTP server on a free port that keeps every JSON body posted to it. */
export async function jsonWebhook<T = any>(): Promise<{ url: string; received: T[]; close(): void }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const received: T[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push(JSON.parse(body) as T);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, close: () => server.close() };
}
