import type { z } from 'zod';
import type { AuditStatus } from '../../flows/audit';
import { audit } from '../../protocol';
import { iso, isoOrNull } from '../../protocol/call';
import { route } from '../endpoint';

const statusOut = (s: AuditStatus): z.input<typeof audit.statusRow> => ({
  store_name: s.store,
  workflow_id: s.workflowId,
  running: s.running,
  phase: s.phase,
  total: s.total,
  total_bytes: s.totalBytes,
  checked: s.checked,
  bytes: s.bytes,
  good: s.good,
  lost: s.lost,
  corrupt: s.corrupt,
  dark: s.dark,
  skipped: s.skipped,
  finished: s.finished,
});

export const auditEndpoints = [
  route(audit.run, {
    level: 'ADMIN',
    summary: "Start the integrity audit of one store (store_name) or of every store now; an audit already running is joined. Follow it with admin/audit/status.",
    errors: [404, 503],
    handler: async ({ body, flows }) => ({ audits: (await flows.audit.run(body.store_name)).map((a) => ({ store_name: a.store, workflow_id: a.workflowId })) }),
  }),
  route(audit.status, {
    level: 'ADMIN',
    summary: "The latest audit of each store (or of store_name): running or finished, instances and bytes checked of those due, good, lost, corrupt and dark found.",
    errors: [404, 503],
    handler: async ({ body, flows }) => ({ audits: (await flows.audit.status(body.store_name)).map(statusOut) }),
  }),
  route(audit.report, {
    level: 'ADMIN',
    summary: 'Findings of audits and validations, newest first: lost, corrupt and dark data, open ones unless include_resolved.',
    handler: async ({ body, domain }) => ({
      findings: (await domain.findings.list({ kind: body.kind, store: body.store_name, includeResolved: body.include_resolved })).map((f) => ({
        id: f.id,
        kind: f.kind,
        store_name: f.store.name,
        path: f.path,
        file_name: f.fileName,
        instance_id: f.instanceId,
        detail: f.detail,
        first_seen: iso(f.firstSeen),
        last_seen: iso(f.lastSeen),
        count: f.count,
        resolved_at: isoOrNull(f.resolvedAt),
        resolution: f.resolution,
        repair: f.repair,
      })),
    }),
  }),
];
