import { Client, Connection } from '@temporalio/client';
import type { Config } from '../config';

export async function connectClient(temporal: Config['temporal']): Promise<Client> {
  const connection = await Connection.connect({ address: temporal.address, connectTimeout: '10s' });
  return new Client({ connection, namespace: temporal.namespace });
}

/** Workflow ids start with the Librarian's name, so Librarians can share a namespace. */
export function workflowId(config: Pick<Config, 'name'>, kind: string, ...parts: (string | number)[]): string {
  return [kind, config.name, ...parts].join('/');
}
