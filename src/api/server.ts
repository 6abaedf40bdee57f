import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Domain } from '../domain';
import type { Flows } from '../flows';
import { createApp } from './app';
import type { HealthState } from './health';
import { listen } from './listen';
import { InFlight } from './inFlight';

/** How long requests under way may go on once the API stops, before they are cut short. */
export const REQUEST_GRACE_MS = 30_000;

export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

/**
 * Requests Node refuses before Express sees them (headers over its 16 KB limit, say very long
 * Basic credentials; malformed HTTP; headers sent too slowly) get the usual JSON error body
 * instead of Node's empty one.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const [status, text, reason, remedy] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'The request headers are larger than this server accepts (16 KB in all).', 'Send shorter headers: HTTP Basic credentials of at most 4096 bytes, no large cookies.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'The request headers did not arrive in time.', 'Send the whole request at once; check the network.']
        : [400, 'Bad Request', `The request is not valid HTTP (${err.code ?? err.message}).`, 'Send an HTTP/1.1 request; the endpoints take POST with a JSON body.'];
  const body = JSON.stringify({ reason, suggested_remedy: remedy });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

export async function startApi(domain: Domain, flows: Flows, worker?: HealthState['worker']): Promise<RunningApi> {
  const inFlight = new InFlight();
  const app = createApp(domain, flows, inFlight, worker);
  const { server, url } = await listen(app, domain.config.api.host, domain.config.api.port);
  server.on('clientError', answerClientError);
  // Uploads of large books take long; only idle connections are timed out.
  server.requestTimeout = 0;
  // Keep idle connections longer than clients do (Node's agent and undici drop them after 4-5 s), so a client
  // never sends a request on a socket the server is just closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  domain.log.info({ url }, 'API listening');
  // Connected now, so the requests' waits on Temporal can be aborted when the API stops (a failure
  // here is not fatal: the first request that needs Temporal connects, or says it cannot).
  flows.temporal.client().catch(() => undefined);
  return {
    server,
    url,
    /**
     * Stops taking requests; those under way get REQUEST_GRACE_MS to finish (the worker still
     * runs, so a commit in flight can end), then their waits on Temporal are aborted and they are
     * answered 503; then the connections close.
     */
    close: async () => {
      inFlight.stopping = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (!(await inFlight.settled(REQUEST_GRACE_MS))) {
        domain.log.warn({ requests: inFlight.count }, 'requests still running when the API stopped are cut short; what they started carries on when the Librarian is back');
        inFlight.abortAll();
        await inFlight.settled(2_000);
        server.closeAllConnections();
        await inFlight.settled(10_000);
      }
      // Connections whose last answer is still being written close as they become idle.
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const done = await Promise.race([closed.then(() => true), sleep(5_000).then(() => false)]);
      clearInterval(sweep);
      if (!done) server.closeAllConnections();
      await closed;
    },
  };
}
