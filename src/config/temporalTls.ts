/** TLS to the Temporal frontend (temporal.tls) in the form both Temporal SDK connections take. */
import { readFileSync } from 'node:fs';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import { ConfigError, type Config } from './index';

/** Undefined: plain connection. Files are read at each connect, so renewed certificates are used after a restart. */
export function temporalTls(tls: Config['temporal']['tls']): TLSConfig | undefined {
  if (!tls) return undefined;
  const read = (file: string, field: string) => {
    try {
      return readFileSync(file);
    } catch (e) {
      throw new ConfigError(`Invalid configuration: temporal.tls.${field} points to ${file}, which cannot be read (${(e as Error).message}).`);
    }
  };
  return {
    serverNameOverride: tls.serverName,
    serverRootCACertificate: tls.caFile ? read(tls.caFile, 'caFile') : undefined,
    clientCertPair: tls.certFile && tls.keyFile ? { crt: read(tls.certFile, 'certFile'), key: read(tls.keyFile, 'keyFile') } : undefined,
  };
}
