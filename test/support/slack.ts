/** A Slack incoming webhook on 127.0.0.1 that keeps the text of every alert posted to it. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSlack {
  url: string;
  alerts: string[];
  close(): Promise<void>;
}

export async function fakeSlack(): Promise<FakeSlack> {
  const alerts: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      alerts.push((JSON.parse(body) as { text: string }).text);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, alerts, close: () => new Promise<void>((r) => server.close(() => r())) };
}
