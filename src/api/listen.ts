import type { Server } from 'node:http';
import type express from 'express';

/** Listens on host:port (0: any free port); the URL to reach it (0.0.0.0 is reached on loopback). */
export async function listen(app: express.Express, host: string, port: number): Promise<{ server: Server; url: string }> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return { server, url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${actualPort}` };
}
