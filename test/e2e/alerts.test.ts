/**
 * Alerts reach a generic webhook as JSON, and the same alert (same subject and cause) is sent once
 * per notifications.repeatAfter while every occurrence is still recorded. A real Librarian (API
 * and worker in one process) and a real HTTP server as the webhook.
 */
import path from 'node:path';
import { closeChecksums, makeFile } from '../support/data';
import { jsonWebhook } from '../support/http';
import { startLibrarian, stopAllLibrarians, type LibrarianHandle } from '../support/librarian';
import { waitFor } from '../support/ports';

let lib: LibrarianHandle;
let webhook: Awaited<ReturnType<typeof jsonWebhook<{ message: string }>>>;

beforeAll(async () => {
  webhook = await jsonWebhook();
  lib = await startLibrarian({
    config: { notifications: { webhookUrl: webhook.url, repeatAfter: '1h' } },
    // A store that holds 10,000 bytes: data imported onto it fills it.
    stores: [{ name: 'main', stagingPath: 'stores/main/staging', storePath: 'stores/main/store', capacityBytes: 10_000 }],
  });
});

afterAll(async () => {
  await stopAllLibrarians();
  await closeChecksums();
  webhook?.close();
});

test('a full store alerts the webhook once per repeatAfter; every occurrence is recorded', async () => {
  // Data already on the store's disk, catalogued by import, fills it exactly (uploads keep a byte free).
  makeFile(path.join(lib.dir, 'stores/main/store/alerts/fill.bin'), 10_000);
  const imported = await lib.cli(['import', 'alerts', '--store', 'main']);
  expect([imported.status, imported.stderr]).toEqual([0, '']);
  for (let i = 0; i < 2; i++) {
    const check = await lib.cli(['stores', 'check', 'main', '--json']);
    expect(check.json()).toMatchObject({ full: true });
  }
  const full = (m: { message: string }) => m.message.startsWith('Store "main" is full');
  await waitFor('the alert to reach the webhook', async () => webhook.received.some(full));
  expect(webhook.received.filter(full)).toEqual([
    {
      librarian: lib.name,
      site: `Test ${lib.name}`,
      level: 'warn',
      category: 'store_full',
      caller: 'store-health',
      message: 'Store "main" is full: uploads and clones pass it by until there is room (free space, or add a store).',
      fields: { store: 'main' },
      error_id: expect.any(Number),
      time: expect.any(String),
    },
  ]);
  // Both checks recorded it; the second was held back from the webhook as a repeat.
  const errors = (await lib.cli(['errors', 'list', '--json'])).json<{ message: string }[]>();
  expect(errors.filter(full)).toHaveLength(2);
  const metrics = await (await fetch(`${lib.url}/metrics`)).text();
  expect(metrics).toContain('librarian_alerts_delivered_total{outcome="suppressed-repeat"} 1\n');
  expect(metrics).toMatch(/librarian_alerts_delivered_total\{outcome="sent-webhook"\} [1-9]/);
  expect(metrics).toContain('librarian_store_free_bytes{store="main"} 0\n');
});
