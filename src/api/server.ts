import type { Server } from 'node:http';
import type { Domain } from '../domain';
import type { Flows } from '../flows';
import { createApp } from './app';

export interface RunningApi {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startApi(domain: Domain, flows: Flows): Promise<RunningApi> {
  const app = createApp(domain, flows);
  const { host, port } = domain.config.api;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
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
