import express, { type NextFunction, type Request, type Response } from 'express';
import client from 'prom-client';
import { describeIssues, nulAt, withoutNulls } from '../protocol/call';
import { checkedError } from '../protocol/fields';
import type { Domain } from '../domain';
import type { Principal } from '../domain/users/users';
import type { Flows } from '../flows';
import { atLeast } from '../shared/authLevels';
import { forbidden, isLibrarianError, LibrarianError, unauthorized } from '../shared/errors';
import type { Endpoint } from './endpoint';
import { healthRouter, type HealthState } from './health';
import { InFlight, stoppingError } from './inFlight';
import { catalogMetrics, metricsAllowed } from './metrics';
import { buildOpenApi } from './openapi';
import { API_PREFIX } from './constants';
import { allEndpoints } from './routes';

const WWW_AUTHENTICATE = 'Basic realm="librarian", charset="UTF-8"';

/**
 * Credentials longer than this cannot be an account's (usernames have at most 256 characters,
 * passwords at most 1024): refused before any lookup or hashing. Node itself refuses headers over
 * 16 KB in all (431, answered by the server's clientError handler).
 */
export const MAX_CREDENTIALS_BYTES = 4096;

function parseBasic(header: string | undefined): { username: string; password: string } | null | 'malformed' | 'too long' {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return 'malformed';
  const raw = Buffer.from(m[1]!, 'base64');
  if (raw.length > MAX_CREDENTIALS_BYTES) return 'too long';
  const decoded = raw.toString('utf8');
  const i = decoded.indexOf(':');
  // RFC 7617 allows no control characters; NUL would reach the catalog, which cannot compare it.
  if (i < 0 || decoded.includes('\0')) return 'malformed';
  // The password is everything after the first colon, so passwords may contain ":".
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

function sendError(res: Response, e: LibrarianError): void {
  if (e.status === 401) res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
  if (typeof e.details.retry_after === 'number') res.setHeader('Retry-After', String(e.details.retry_after));
  // Answering before the request body was read (a refused upload): close the connection, or a
  // client that stops sending would reuse it while we still wait for the rest of that body.
  // Likewise when stopping, so the client does not send its next request here.
  if (!res.req.complete || e.status === 503) res.setHeader('Connection', 'close');
  res.status(e.status).json(e.toBody());
}

async function authenticate(domain: Domain, ep: Endpoint, req: Request): Promise<Principal | null> {
  const creds = parseBasic(req.headers.authorization);
  if (creds === 'malformed') {
    throw unauthorized('The Authorization header is not valid HTTP Basic.', 'Send "Authorization: Basic base64(username:password)".');
  }
  if (creds === 'too long') {
    throw unauthorized(
      `The HTTP Basic credentials are longer than ${MAX_CREDENTIALS_BYTES} bytes, which no account has.`,
      'Send your username (at most 256 characters) and password (at most 1024).',
    );
  }
  if (creds === null) {
    if (ep.level === 'NONE') return null;
    throw unauthorized('This endpoint needs a login.', 'Send your username and password with HTTP Basic authentication.');
  }
  // req.ip: the client's address, through the proxies api.trustProxy names (throttling is per address).
  const principal = await domain.users.authenticate(creds.username, creds.password, req.ip ?? req.socket.remoteAddress);
  if (!principal) {
    throw unauthorized('Incorrect username or password.', 'Check the credentials of your connection (librarian connections list); an admin can reset a password.');
  }
  if (!atLeast(principal.level, ep.level)) {
    throw forbidden(
      `${ep.path} needs permission ${ep.level} or higher; user "${principal.username}" has ${principal.level}.`,
      'Ask an administrator to raise your permission level, or use an account that has it.',
    );
  }
  return principal;
}

/**
 * What went wrong reading a request body (body-parser's errors, which carry a 4xx status), said
 * as the usual error body; undefined for anything else.
 */
function readingError(err: unknown, req: Request): LibrarianError | undefined {
  const e = err as { type?: string; status?: number; expose?: boolean; message?: string; charset?: string; encoding?: string; code?: string };
  const sendJson = 'Send a JSON object with Content-Type: application/json.';
  switch (e.type) {
    case 'entity.parse.failed':
      return new LibrarianError(400, `The request body is not valid JSON: ${e.message}.`, sendJson);
    case 'entity.too.large':
      return new LibrarianError(413, 'The request body is too large.', 'JSON requests are limited to 64 MB; split large batches.');
    case 'charset.unsupported':
      return new LibrarianError(415, `The request body's charset ${JSON.stringify(e.charset)} is not supported.`, 'Send JSON in UTF-8 (Content-Type: application/json, or with charset=utf-8).');
    case 'encoding.unsupported':
      return new LibrarianError(415, `The Content-Encoding ${JSON.stringify(e.encoding)} is not supported.`, 'Send the body uncompressed, or compressed with gzip, deflate or br.');
  }
  if (typeof e.status !== 'number' || e.status < 400 || e.status > 499 || !e.expose) return undefined;
  // zlib's errors (a body that is not what its Content-Encoding says) and a body that ends early.
  const encoding = req.headers['content-encoding'];
  if (e.code?.startsWith('Z_')) {
    return new LibrarianError(400, `The request body could not be decompressed (Content-Encoding: ${encoding}): ${e.message}.`, 'Compress the body as its Content-Encoding says, or send it uncompressed.');
  }
  return new LibrarianError(e.status, `The request body could not be read: ${e.message}.`, sendJson);
}

/** Whether a request failed because its client went away (an upload interrupted by Ctrl-C). */
function clientLeft(err: unknown, req: Request): boolean {
  const e = err as { code?: string; message?: string };
  return req.destroyed || e.code === 'ECONNRESET' || e.code === 'ECONNABORTED' || e.code === 'ERR_STREAM_PREMATURE_CLOSE' || e.message === 'aborted';
}

/** `worker`: in a process that also runs a worker, its state joins the health endpoints' answers. */
export function createApp(domain: Domain, flows: Flows, inFlight = new InFlight(), worker?: HealthState['worker']): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', domain.config.api.trustProxy);
  // Before the stopping guard: while it drains, the process is alive and says it is not ready.
  app.use(healthRouter(flows, domain.log, { stopping: () => inFlight.stopping, worker, alerts: true }));
  // Stopping: nothing new is taken (requests still arriving on open connections included).
  app.use((req, res, next) => {
    if (inFlight.stopping) return sendError(res, stoppingError());
    next();
  });
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });
  const requests = new client.Histogram({
    name: 'librarian_http_request_duration_seconds',
    help: 'API requests by endpoint and status',
    labelNames: ['path', 'status'],
    registers: [registry],
  });
  // Login throttling (domain/users/throttle.ts): what it refused and how many hashes it ran.
  const logins = () => domain.users.loginStats;
  new client.Counter({
    name: 'librarian_login_password_checks_total',
    help: 'Passwords verified with argon2 (logins not answered from the cache or refused first)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(logins().passwordChecks);
    },
  });
  new client.Counter({
    name: 'librarian_login_refused_total',
    help: 'Logins refused before checking: 429 (address or account in backoff) or 503 (too many waiting)',
    labelNames: ['reason'],
    registers: [registry],
    collect() {
      const s = logins();
      this.reset();
      this.inc({ reason: 'address' }, s.refusedAddress);
      this.inc({ reason: 'account' }, s.refusedAccount);
      this.inc({ reason: 'overloaded' }, s.overloaded);
    },
  });
  new client.Gauge({
    name: 'librarian_login_checks',
    help: 'Password checks running and waiting',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = logins();
      this.set({ state: 'running' }, s.checksInProgress);
      this.set({ state: 'waiting' }, s.checksWaiting);
    },
  });

  const endpoints = allEndpoints();
  const openapi = buildOpenApi(endpoints, domain.config);
  app.get(`${API_PREFIX}/openapi.json`, (_req, res) => {
    res.json(openapi);
  });
  catalogMetrics(registry, domain, flows);
  app.get('/metrics', async (req, res) => {
    if (!metricsAllowed(domain, req, res)) return;
    res.type(registry.contentType).send(await registry.metrics());
  });

  const json = express.json({ limit: '64mb', strict: false });
  /**
   * A body of another type would be read as no body at all (a search would then list everything):
   * refuse it. A request without a body (v2 clients send none to admin/stores/list) is `{}`.
   */
  const jsonOnly = (req: Request, _res: Response, next: NextFunction) => {
    const length = req.headers['content-length'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
    if (hasBody && !req.is('application/json')) {
      return next(
        new LibrarianError(415, `The request body is of type ${JSON.stringify(req.headers['content-type'] ?? 'none')}, not JSON.`, 'Send a JSON object with Content-Type: application/json.'),
      );
    }
    next();
  };
  for (const ep of endpoints) {
    const method = ep.method ?? 'post';
    const handlers = [
      async (req: Request, res: Response, next: NextFunction) => {
        const stop = requests.startTimer({ path: ep.path });
        res.on('finish', () => stop({ status: String(res.statusCode) }));
        try {
          res.locals.principal = await authenticate(domain, ep, req);
          next();
        } catch (e) {
          next(e);
        }
      },
      ...(ep.body ? [jsonOnly, json] : []),
      async (req: Request, res: Response) => {
        let body: unknown = undefined;
        if (ep.body) {
          const nul = nulAt(req.body);
          if (nul !== undefined) {
            throw new LibrarianError(400, `The request body holds a NUL character (U+0000) in ${nul}.`, 'Remove it: text in a request may not contain NUL, which the catalog cannot store or compare.');
          }
          const parsed = ep.body.safeParse(withoutNulls(req.body ?? {}));
          if (!parsed.success) {
            // A name or checksum refused alone: the same answer as when the domain refuses it.
            const checked = checkedError(parsed.error);
            if (checked) throw new LibrarianError(checked.status, checked.reason, checked.remedy);
            throw new LibrarianError(400, `The request body is not valid: ${describeIssues(parsed.error)}.`, `See the schema of ${API_PREFIX}${ep.path} in ${API_PREFIX}/openapi.json.`);
          }
          body = parsed.data;
        }
        let result: unknown;
        try {
          // Its waits on Temporal end if the API stops before it does (see InFlight).
          result = await inFlight.run(async (signal) => {
            try {
              return await flows.temporal.withAbortSignal(signal, () => ep.handler({ body, principal: res.locals.principal, domain, flows, req, res }));
            } catch (e) {
              throw signal.aborted ? stoppingError() : e;
            }
          });
        } catch (e) {
          const as = isLibrarianError(e) ? ep.statusAs?.[e.status] : undefined;
          if (as === undefined || !isLibrarianError(e)) throw e;
          throw new LibrarianError(as, e.reason, e.suggestedRemedy, e.details);
        }
        if (result !== undefined && !res.headersSent) res.status(ep.status ?? 200).json(result);
      },
    ];
    app[method](`${API_PREFIX}${ep.path}`, ...handlers);
    // Health checks and peers may ping with GET.
    if (ep.level === 'NONE' && method === 'post') app.get(`${API_PREFIX}${ep.path}`, ...handlers);
  }

  // A known path asked with a method it does not take: 405 with the ones it takes.
  const allowed = new Map<string, Set<string>>([
    [`${API_PREFIX}/openapi.json`, new Set(['GET'])],
    ['/metrics', new Set(['GET'])],
    ['/healthz', new Set(['GET'])],
    ['/readyz', new Set(['GET'])],
  ]);
  for (const ep of endpoints) {
    const method = ep.method ?? 'post';
    const set = allowed.get(`${API_PREFIX}${ep.path}`) ?? new Set<string>();
    set.add(method.toUpperCase());
    if (ep.level === 'NONE' && method === 'post') set.add('GET');
    allowed.set(`${API_PREFIX}${ep.path}`, set);
  }
  for (const [p, methods] of allowed) {
    const allow = [...methods, ...(methods.has('GET') ? ['HEAD'] : [])].sort().join(', ');
    app.all(p, (req, res) => {
      res.setHeader('Allow', allow);
      if (req.method === 'OPTIONS') return void res.status(204).end();
      sendError(res, new LibrarianError(405, `${req.path} does not take ${req.method}.`, `Use ${allow}${methods.has('POST') ? ' (with a JSON body)' : ''}.`));
    });
  }

  app.use((req, res) => {
    sendError(res, new LibrarianError(404, `No endpoint ${req.method} ${req.path}.`, `Endpoints are listed in ${API_PREFIX}/openapi.json; all of them take POST with a JSON body.`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (isLibrarianError(err)) return sendError(res, err);
    const temporalDown = flows.temporal.asUnavailable(err);
    if (temporalDown) {
      domain.log.warn({ path: req.path, reason: temporalDown.reason }, 'request refused: Temporal unreachable');
      void flows.health.observeTemporal(temporalDown.reason);
      return sendError(res, temporalDown);
    }
    const bodyError = readingError(err, req);
    if (bodyError) return sendError(res, bodyError);
    if (clientLeft(err, req)) {
      // Not the server's fault and nothing is lost: what arrived is kept for a resumed upload.
      domain.log.info({ path: req.path, reason: (err as Error).message }, 'the client closed the connection before its request ended');
      res.destroy();
      return;
    }
    domain.log.error({ err, path: req.path }, 'unhandled error in API request');
    sendError(res, new LibrarianError(500, 'Internal server error.', 'The server logged the details; try again, and report it to the operators if it persists.'));
  });
  return app;
}
