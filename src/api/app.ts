import express, { type NextFunction, type Request, type Response } from 'express';
import client from 'prom-client';
import { describeIssues, withoutNulls } from '../protocol/call';
import type { Domain } from '../domain';
import type { Principal } from '../domain/users/users';
import type { Flows } from '../flows';
import { atLeast } from '../shared/authLevels';
import { forbidden, isLibrarianError, LibrarianError, unauthorized } from '../shared/errors';
import type { Endpoint } from './endpoint';
import { buildOpenApi } from './openapi';
import { API_PREFIX } from './constants';
import { allEndpoints } from './routes';

const WWW_AUTHENTICATE = 'Basic realm="librarian", charset="UTF-8"';

function parseBasic(header: string | undefined): { username: string; password: string } | null | 'malformed' {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return 'malformed';
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return 'malformed';
  // The password is everything after the first colon, so passwords may contain ":".
  return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

function sendError(res: Response, e: LibrarianError): void {
  if (e.status === 401) res.setHeader('WWW-Authenticate', WWW_AUTHENTICATE);
  if (typeof e.details.retry_after === 'number') res.setHeader('Retry-After', String(e.details.retry_after));
  // Answering before the request body was read (a refused upload): close the connection, or a
  // client that stops sending would reuse it while we still wait for the rest of that body.
  if (!res.req.complete) res.setHeader('Connection', 'close');
  res.status(e.status).json(e.toBody());
}

async function authenticate(domain: Domain, ep: Endpoint, req: Request): Promise<Principal | null> {
  const creds = parseBasic(req.headers.authorization);
  if (creds === 'malformed') {
    throw unauthorized('The Authorization header is not valid HTTP Basic.', 'Send "Authorization: Basic base64(username:password)".');
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

export function createApp(domain: Domain, flows: Flows): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', domain.config.api.trustProxy);
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
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });

  const json = express.json({ limit: '64mb', strict: false });
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
      ...(ep.body ? [json] : []),
      async (req: Request, res: Response) => {
        let body: unknown = undefined;
        if (ep.body) {
          const parsed = ep.body.safeParse(withoutNulls(req.body ?? {}));
          if (!parsed.success) {
            throw new LibrarianError(400, `The request body is not valid: ${describeIssues(parsed.error)}.`, `See the schema of ${API_PREFIX}${ep.path} in ${API_PREFIX}/openapi.json.`);
          }
          body = parsed.data;
        }
        let result: unknown;
        try {
          result = await ep.handler({ body, principal: res.locals.principal, domain, flows, req, res });
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

  app.use((req, res) => {
    sendError(res, new LibrarianError(404, `No endpoint ${req.method} ${req.path}.`, `Endpoints are listed in ${API_PREFIX}/openapi.json; all of them take POST with a JSON body.`));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (isLibrarianError(err)) return sendError(res, err);
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed') {
      return sendError(res, new LibrarianError(400, `The request body is not valid JSON: ${e.message}.`, 'Send a JSON object with Content-Type: application/json.'));
    }
    if (e.type === 'entity.too.large') {
      return sendError(res, new LibrarianError(413, 'The request body is too large.', 'JSON requests are limited to 64 MB; split large batches.'));
    }
    domain.log.error({ err, path: req.path }, 'unhandled error in API request');
    sendError(res, new LibrarianError(500, 'Internal server error.', 'The server logged the details; try again, and report it to the operators if it persists.'));
  });
  return app;
}
