import { Flags } from '@oclif/core';
import { Client, Connection } from '@temporalio/client';
import { existsSync } from 'node:fs';
import { loadConfig, type Config } from '../config';
import { temporalTls } from '../config/temporalTls';
import { connectionsPath, loadConnections } from './connections';

export const temporalFlags = {
  'temporal-address': Flags.string({ env: 'TEMPORAL_ADDRESS', description: 'Temporal frontend (host:port). Default: from the connection or configuration, else 127.0.0.1:7233.' }),
  namespace: Flags.string({ env: 'TEMPORAL_NAMESPACE', description: 'Temporal namespace (default: from the connection or configuration, else "default").' }),
  connection: Flags.string({ char: 'c', env: 'LIBRARIAN_CONNECTION', description: 'Named connection whose Temporal settings and Librarian name to use.' }),
  config: Flags.string({ env: 'LIBRARIAN_CONFIG', description: 'Server configuration to take Temporal settings and the Librarian name from.' }),
};

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** From the server configuration (temporal.tls), when the address is its. */
  tls?: Config['temporal']['tls'];
  librarianName?: string;
}

/** Flags first, then the named (or default) connection, then the server configuration. */
export function resolveTemporal(flags: { 'temporal-address'?: string; namespace?: string; connection?: string; config?: string }): TemporalTarget {
  let fromConnection: { temporalAddress?: string; temporalNamespace?: string; librarianName?: string } = {};
  if (existsSync(connectionsPath())) {
    const data = loadConnections();
    const name = flags.connection ?? data.default;
    if (name && data.connections[name]) fromConnection = data.connections[name]!;
    else if (flags.connection) throw new Error(`No connection named "${flags.connection}".`);
  }
  const config = flags.config ? loadConfig(flags.config) : undefined;
  return {
    address: flags['temporal-address'] ?? fromConnection.temporalAddress ?? config?.temporal.address ?? '127.0.0.1:7233',
    namespace: flags.namespace ?? fromConnection.temporalNamespace ?? config?.temporal.namespace ?? 'default',
    librarianName: config?.name ?? fromConnection.librarianName,
    tls: config && !flags['temporal-address'] && !fromConnection.temporalAddress ? config.temporal.tls : undefined,
  };
}

export async function temporalClientFor(t: TemporalTarget): Promise<Client> {
  try {
    const connection = await Connection.connect({ address: t.address, tls: temporalTls(t.tls), connectTimeout: '5s' });
    return new Client({ connection, namespace: t.namespace });
  } catch (e) {
    throw new Error(`Cannot reach Temporal at ${t.address}: ${(e as Error).message}. Give --temporal-address, or start the server (librarian dev).`);
  }
}
