/**
 * Recorded workflow histories for test/workflows/replay.test.ts. A run of the production-shape
 * test with LIBRARIAN_RECORD_HISTORIES=1 saves one finished history per workflow type into
 * test/workflows/histories/ (commit them with the release); otherwise nothing is written.
 * Histories are saved by the Temporal CLI (`temporal workflow show --output json`), as an
 * operator would save one, in the JSON form the SDK's historyFromJSON reads.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { TemporalCluster } from './temporalCluster';
import { ROOT } from './temporalServer';

export const HISTORIES_DIR = path.resolve(__dirname, '../workflows/histories');

/** Saves the newest completed history of each workflow type run on the cluster; returns the types saved. */
export async function recordHistories(temporal: Client, cluster: TemporalCluster): Promise<string[]> {
  if (process.env.LIBRARIAN_RECORD_HISTORIES !== '1') return [];
  mkdirSync(HISTORIES_DIR, { recursive: true });
  const cli = execFileSync(path.join(ROOT, 'temporal-dev/temporal-cli.sh'), { encoding: 'utf8' }).trim();
  const tls = cluster.tls ? ['--tls-ca-path', cluster.tls.caFile, '--tls-cert-path', cluster.tls.certFile, '--tls-key-path', cluster.tls.keyFile, '--tls-server-name', cluster.tls.serverName] : [];
  const saved = new Set<string>();
  for await (const w of temporal.workflow.list({ query: 'ExecutionStatus = "Completed"' })) {
    if (saved.has(w.type)) continue;
    const json = execFileSync(cli, ['workflow', 'show', '--address', cluster.address, '--namespace', temporal.options.namespace, ...tls, '-w', w.workflowId, '-r', w.runId, '--output', 'json'], { encoding: 'utf8', maxBuffer: 64 << 20 });
    writeFileSync(path.join(HISTORIES_DIR, `${w.type}.json`), `${JSON.stringify({ workflowId: w.workflowId, history: JSON.parse(json) })}\n`);
    saved.add(w.type);
  }
  return [...saved].sort();
}
