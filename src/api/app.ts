import express, { type NextFunction, type Request, type Response } from 'express';
import client from 'prom-client';
import { describeIssues, withoutNulls } from '../protocol/call';
import type { Domain } from '../domain';
import type { Principal } from '../domain/users/users';
import type { Flows } from '../flows';
import { atLeast } from '../shared/authLevels';
import { forbidden, isLibrarianError, LibrarianError, unauthorized } from '../shared/errors';
import type { Endpoint } from './endpoint';
import { InFlight, stoppingError } from './inFlight';
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
  if (creds === null) {
    if (ep.level === 'NONE') return null;
    throw unauthorized('This endpoint needs a login.', 'Send your username and password with HTTP Basic authentication.');
  }
  const principal = await domain.users.authenticate(creds.username, creds.password);
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

export function createApp(domain: Domain, flows: Flows, inFlight = new InFlight()): express.Express {
  const app = express();
  app.disable('x-powered-by');
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
