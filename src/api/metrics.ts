/**
 * GET /metrics: Prometheus metrics of this Librarian (see "Monitoring" in the README for each
 * one). Request and login figures are this API process's; catalog, peer and batch figures come
 * from the catalog and Temporal (flows/metrics.ts), so every API process of a site shows the same.
 */
import type { Request, Response } from 'express';
import client from 'prom-client';
import type { Domain } from '../domain';
import type { Flows } from '../flows';

export function catalogMetrics(registry: client.Registry, domain: Domain, flows: Flows): void {
  const snapshot = () => flows.metrics.snapshot();
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: client.Gauge, s: Awaited<ReturnType<typeof snapshot>>) => void) =>
    new client.Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        fill(this, s);
      },
    });
  gauge('librarian_up', 'Whether the services the Librarian needs answer (1) or not (0)', ['service'], (g, s) => {
    g.set({ service: 'catalog' }, s.catalogUp ? 1 : 0);
    g.set({ service: 'temporal' }, s.temporalUp ? 1 : 0);
  });
  gauge('librarian_store_files', 'Files with an available copy on each store', ['store'], (g, s) => s.catalog?.stores.forEach((x) => g.set({ store: x.name }, x.files)));
  gauge('librarian_store_bytes', 'Bytes of the files with an available copy on each store', ['store'], (g, s) => s.catalog?.stores.forEach((x) => g.set({ store: x.name }, x.bytes)));
  gauge('librarian_store_free_bytes', 'Bytes that may still be written to each store (-1: not mounted)', ['store'], (g, s) => s.catalog?.stores.forEach((x) => g.set({ store: x.name }, x.freeBytes)));
  gauge('librarian_store_healthy', 'Whether the last health check of each store passed (1), and whether it is enabled', ['store', 'enabled'], (g, s) =>
    s.catalog?.stores.forEach((x) => g.set({ store: x.name, enabled: String(x.enabled) }, x.healthy ? 1 : 0)),
  );
  gauge('librarian_peer_files_waiting', 'Files with an available copy here that the peer lacks and that no transfer carries yet (peers we send to)', ['peer'], (g, s) =>
    s.waiting.forEach((x) => g.set({ peer: x.peer }, x.files)),
  );
  gauge('librarian_clone_batches_in_flight', 'Clone batches running, by peer and phase', ['peer', 'phase'], (g, s) => s.batches.forEach((x) => g.set({ peer: x.peer, phase: x.phase }, x.count)));
  gauge('librarian_outgoing_transfers', 'Outgoing transfers (files to peers) by peer and status', ['peer', 'status'], (g, s) =>
    s.catalog?.outgoing.forEach((x) => g.set({ peer: x.peer, status: x.status }, x.count)),
  );
  gauge('librarian_incoming_transfers', 'Incoming transfers (uploads and received clones) by status: COMPLETED were committed, FAILED refused or given up', ['status'], (g, s) =>
    s.catalog?.incoming.forEach((x) => g.set({ status: x.status }, x.count)),
  );
  gauge('librarian_transferred_bytes', 'Bytes sent to peers in finished batches, all time (transfer records), by peer and method', ['peer', 'method'], (g, s) =>
    s.catalog?.transferred.forEach((x) => g.set({ peer: x.destination, method: x.method }, x.bytes)),
  );
  gauge('librarian_transferred_files', 'Files sent to peers in finished batches, all time, by peer and method', ['peer', 'method'], (g, s) =>
    s.catalog?.transferred.forEach((x) => g.set({ peer: x.destination, method: x.method }, x.files)),
  );
  gauge('librarian_transfer_bandwidth_bytes_per_second', "The last finished batch's bandwidth (bytes over its whole duration), by peer and method", ['peer', 'method'], (g, s) =>
    s.catalog?.lastBandwidth.forEach((x) => g.set({ peer: x.peer, method: x.method }, x.bytesPerSecond)),
  );
  gauge('librarian_findings_open', 'Problems found in the stores and not yet resolved, by kind (LOST, CORRUPT, DARK...)', ['kind'], (g, s) => s.catalog?.findings.forEach((x) => g.set({ kind: x.kind }, x.count)));
  gauge('librarian_alerts_raised', 'Alerts recorded in the error log, all time, by severity', ['severity'], (g, s) => s.catalog?.alerts.forEach((x) => g.set({ severity: x.severity }, x.count)));
  new client.Counter({
    name: 'librarian_alerts_delivered_total',
    help: "Alerts this process delivered to Slack or the webhook, and those it held back as repeats or could not deliver",
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const st = domain.notifications.stats;
      this.reset();
      for (const [channel, n] of st.sent) this.inc({ outcome: `sent-${channel}` }, n);
      this.inc({ outcome: 'suppressed-repeat' }, st.suppressed);
      this.inc({ outcome: 'failed' }, st.failed);
    },
  });
}

/** With metrics.token set, a scrape must carry it as a bearer token. */
export function metricsAllowed(domain: Domain, req: Request, res: Response): boolean {
  const token = domain.config.metrics.token;
  if (!token) return true;
  if (req.headers.authorization === `Bearer ${token}`) return true;
  res.setHeader('WWW-Authenticate', 'Bearer realm="librarian-metrics"');
  res.status(401).json({ reason: 'The metrics need a token.', suggested_remedy: 'Send "Authorization: Bearer <metrics.token>" (set bearer_token_file in the Prometheus scrape config).' });
  return false;
}
