import type { Domain } from '../domain';
import { run, withHeartbeat } from './support';

export function auditActivities(domain: Domain) {
  return {
    planAudit: (store: string, cutoffMs: number) => run(() => domain.audit.plan(store, new Date(cutoffMs))),
    auditChunk: (store: string, cutoffMs: number, maxBytes: number, bytesPerSecond?: number) =>
      withHeartbeat((h) => domain.audit.chunk(store, new Date(cutoffMs), maxBytes, bytesPerSecond, h)),
    auditDark: (store: string) => withHeartbeat((h) => domain.audit.scanDark(store, { signal: h.signal, onProgress: (entries) => h.onProgress(entries, 0) })),
  };
}
