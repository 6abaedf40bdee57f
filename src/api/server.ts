import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Domain } from '../domain';
import type { Flows } from '../flows';
import { createApp } from './app';

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

export async function startApi(domain: Domain, flows: Flows): Promise<RunningApi> {
  const app = createApp(domain, flows);
  const { host, port } = domain.config.api;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  server.on('clientError', answerClientError);
  // Uploads of large books take long; only idle connections are timed out.
  server.requestTimeout = 0;
  // Keep idle connections longer than clients do (undici drops them after ~4 s), so a client
  // never sends a request on a socket the server is just closing.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}`;
  domain.log.info({ url }, 'API listening');
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
