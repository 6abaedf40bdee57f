/**
 * A Librarian whose Temporal server dies after it has been working: requests that need Temporal
 * answer 503 with the reason and what to do (not a bare 500), nothing is half-started, and ping
 * says which service is down. The Temporal server here is this test's own, so stopping it
 * disturbs no other test.
 */
import path from 'node:path';
import { closeChecksums, makeFile, tmpDir } from '../support/data';
import { apiError, jsonWebhook } from '../support/http';
import { startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { freePort } from '../support/ports';
import { startTemporal } from '../support/temporalServer';

let temporal: Awaited<ReturnType<typeof startTemporal>>;
let lib: LibrarianHandle;
let workerHealth: string;
let webhook: Awaited<ReturnType<typeof jsonWebhook<{ level: string; category: string; message: string; librarian: string }>>>;
const METRICS_TOKEN = 'metrics-token-0123456789';

beforeAll(async () => {
  webhook = await jsonWebhook();
  temporal = await startTemporal();
  workerHealth = `http://127.0.0.1:${await freePort()}`;
  lib = await startLibrarian({
    separate: true,
    config: {
      temporal: { address: temporal.address },
      notifications: { webhookUrl: webhook.url, temporalDownAfter: '0s' },
      metrics: { token: METRICS_TOKEN, cacheFor: '0s' },
      worker: { healthPort: Number(new URL(workerHealth).port) },
    },
  });
}, 300_000);

afterAll(async () => {
  await stopAllLibrarians();
  await temporal?.stop();
  await closeChecksums();
  webhook?.close();
});

async function metrics(token = METRICS_TOKEN): Promise<{ status: number; text: string }> {
  const r = await fetch(`${lib.url}/metrics`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  return { status: r.status, text: await r.text() };
}

async function probe(url: string): Promise<[number, unknown]> {
  const r = await fetch(url);
  return [r.status, await r.json()];
}

type Ping = { librarian_name: string; catalog: { ok: boolean; problem: string | null }; temporal: { ok: boolean; problem: string | null } };

test('Temporal down: upload and validate answer 503 with the reason, nothing is started, and ping says Temporal does not answer', async () => {
  const data = tmpDir();
  const file = makeFile(path.join(data, 'before.bin'), 10_000);
  const up = await lib.cli(['upload', file, 'td/before.bin']);
  expect(up.status).toBe(0);
  // Metrics need the token; they show the store's file and both services up.
  const refused = await metrics('');
  expect([refused.status, JSON.parse(refused.text)]).toEqual([401, { reason: 'The metrics need a token.', suggested_remedy: expect.stringContaining('Authorization: Bearer') }]);
  expect((await metrics('wrong')).status).toBe(401);
  const scraped = await metrics();
  expect(scraped.status).toBe(200);
  expect(scraped.text).toContain('librarian_up{service="temporal"} 1');
  expect(scraped.text).toContain('librarian_up{service="catalog"} 1');
  expect(scraped.text).toContain('librarian_store_files{store="main"} 1\n');
  expect(scraped.text).toContain('librarian_store_bytes{store="main"} 10000\n');
  expect(scraped.text).toMatch(/librarian_store_free_bytes\{store="main"\} [1-9]\d*\n/);
  expect(scraped.text).toContain('librarian_store_healthy{store="main",enabled="true"} 1');
  expect(scraped.text).toContain('librarian_incoming_transfers{status="COMPLETED"} 1\n');
  const healthy = await lib.cli(['ping', '--json']);
  expect([healthy.status, healthy.json<Ping>()]).toEqual([0, expect.objectContaining({ catalog: { ok: true, problem: null }, temporal: { ok: true, problem: null } })]);
  // Orchestrators' probes: the API and the worker (on its own port) are alive and ready.
  expect(await probe(`${lib.url}/healthz`)).toEqual([200, { alive: true }]);
  expect(await probe(`${lib.url}/readyz`)).toEqual([200, { ready: true, catalog: { ok: true }, temporal: { ok: true } }]);
  expect(await probe(`${workerHealth}/healthz`)).toEqual([200, { alive: true }]);
  expect(await probe(`${workerHealth}/readyz`)).toEqual([200, { ready: true, worker: { ok: true }, catalog: { ok: true }, temporal: { ok: true } }]);
  expect(await probe(`${workerHealth}/metrics`)).toEqual([404, { reason: 'No endpoint GET /metrics here.', suggested_remedy: 'This port serves GET /healthz and GET /readyz only.' }]);
  const posted = await fetch(`${lib.url}/readyz`, { method: 'POST' });
  expect([posted.status, posted.headers.get('allow')]).toEqual([405, 'GET, HEAD']);

  await temporal.stop();
  const svc = await lib.domain();
  const transfersBefore = await svc.db.incomingTransfer.count();

  const reason = new RegExp(`^Temporal at ${temporal.address.replace(/\./g, '\\.')} cannot be reached \\(.+\\); nothing was started or changed\\.$`);
  const staged = await apiError(
    lib.client().post('upload/stage', { upload_size: 3, upload_checksum: `md5:::${'0'.repeat(32)}`, upload_name: 'x.bin', destination_location: 'td/x.bin', uploader: 'me' }),
  );
  expect({ status: staged.status, reason: staged.reason, remedy: staged.suggestedRemedy }).toEqual({
    status: 503,
    reason: expect.stringMatching(reason),
    remedy: 'Start the Temporal server (librarian dev starts one) or fix temporal.address in the configuration, then retry the same request.',
  });
  expect(await svc.db.incomingTransfer.count()).toBe(transfersBefore);

  const validated = await apiError(lib.client().post('validate/file', { file_name: 'td/before.bin' }));
  expect([validated.status, validated.reason]).toEqual([503, expect.stringMatching(reason)]);

  const cliUpload = await lib.cli(['upload', makeFile(path.join(data, 'after.bin'), 10), 'td/after.bin']);
  expect(cliUpload.status).toBe(1);
  expect(cliUpload.stderr).toMatch(/Temporal at .* cannot be reached/);

  // Ping still answers (the API is up) but says what is down, and exits 1.
  const degraded = await lib.cli(['ping', '--json']);
  expect(degraded.status).toBe(1);
  expect(degraded.json<Ping>()).toMatchObject({ librarian_name: lib.name, catalog: { ok: true, problem: null }, temporal: { ok: false, problem: expect.stringMatching(/^Temporal at 127\.0\.0\.1:\d+ cannot be reached: .+/) } });
  const said = await lib.cli(['ping']);
  expect([said.status, said.stdout, said.stderr]).toEqual([1, expect.stringMatching(/answered in \d+ ms as admin\.\n$/), expect.stringMatching(/^Its Temporal server does not answer: Temporal at .* cannot be reached: .+\n$/)]);
  // Anonymous callers learn that it is down, not the details.
  expect(await lib.anonymous().post<Ping>('ping/')).toMatchObject({ temporal: { ok: false, problem: null }, catalog: { ok: true, problem: null } });

  expect(lib.logOf('server')).not.toMatch(/unhandled error in API request/);

  // Still alive (restarting would not help), not ready: a load balancer sends its requests elsewhere.
  const notReady = { reason: 'Not ready: temporal fails.', suggested_remedy: "This process's log says why; it becomes ready by itself once they answer." };
  expect(await probe(`${lib.url}/healthz`)).toEqual([200, { alive: true }]);
  expect(await probe(`${lib.url}/readyz`)).toEqual([503, { ready: false, catalog: { ok: true }, temporal: { ok: false }, ...notReady }]);
  expect(await probe(`${workerHealth}/healthz`)).toEqual([200, { alive: true }]);
  expect(await probe(`${workerHealth}/readyz`)).toEqual([503, { ready: false, worker: { ok: true }, catalog: { ok: true }, temporal: { ok: false }, ...notReady }]);
  expect(lib.logOf('server')).toMatch(/"problems":\["Temporal at [^"]+ cannot be reached[^\n]*"msg":"not ready"/);

  // Down longer than notifications.temporalDownAfter (0 s here): one alert on the webhook, and
  // the metrics say so.
  const down = await metrics();
  expect(down.text).toContain('librarian_up{service="temporal"} 0');
  expect(down.text).toContain('librarian_up{service="catalog"} 1');
  const temporalAlerts = webhook.received.filter((a) => /Temporal has been unreachable/.test(a.message));
  expect(temporalAlerts).toEqual([expect.objectContaining({ level: 'error', category: 'librarian_network_availability', librarian: lib.name, message: expect.stringMatching(/No upload, transfer, audit or schedule can run until it is back\.$/) })]);
  expect(down.text).toMatch(/librarian_alerts_delivered_total\{outcome="sent-webhook"\} [1-9]/);
  expect(down.text).toContain('librarian_alerts_raised{severity="error"} 1');
}, 180_000);
