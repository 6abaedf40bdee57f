/**
 * Named connections to Librarian servers, kept in a user file with mode 600:
 * $LIBRARIAN_CLIENT_CONFIG, or ~/.config/librarian/connections.json.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { LibrarianClient } from '../protocol/client';

export const connectionSchema = z.object({
  /** Host name or URL without port, e.g. "librarian.example.org" or "https://librarian.example.org". */
  host: z.string(),
  port: z.number().int(),
  user: z.string(),
  password: z.string(),
  /** The server's Librarian name (filled in from its ping when the connection is added). */
  librarianName: z.string().optional(),
  /** The server's ping, when the connection was added, gave no name: a Librarian v2 server. */
  v2: z.boolean().optional(),
  /** Temporal frontend and namespace, for `librarian workflows`. */
  temporalAddress: z.string().optional(),
  temporalNamespace: z.string().optional(),
});
export type Connection = z.infer<typeof connectionSchema>;

const fileSchema = z.object({
  default: z.string().optional(),
  connections: z.record(z.string(), connectionSchema).default({}),
});
export type ConnectionsFile = z.infer<typeof fileSchema>;

export function connectionsPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LIBRARIAN_CLIENT_CONFIG) return path.resolve(env.LIBRARIAN_CLIENT_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'librarian', 'connections.json');
}

export function loadConnections(file = connectionsPath()): ConnectionsFile {
  if (!existsSync(file)) return { connections: {} };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`The connections file ${file} is not valid JSON (${(e as Error).message}). Fix or remove it.`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`The connections file ${file} is not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

export function saveConnections(data: ConnectionsFile, file = connectionsPath()): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export function connectionUrl(c: Pick<Connection, 'host' | 'port'>): string {
  const host = /^https?:\/\//.test(c.host) ? c.host.replace(/\/+$/, '') : `http://${c.host}`;
  return `${host}:${c.port}`;
}

/** Picks a connection: the named one, else the file's default, else the only one. */
export function resolveConnection(name: string | undefined, file = connectionsPath()): { name: string; connection: Connection } {
  const data = loadConnections(file);
  const names = Object.keys(data.connections);
  const chosen = name ?? data.default ?? (names.length === 1 ? names[0] : undefined);
  if (!chosen) {
    throw new Error(
      names.length === 0
        ? `No Librarian connections are configured (${file}). Add one with "librarian connections add NAME --host H --port P --user U --password-stdin", or run "librarian dev".`
        : `Several connections are configured (${names.join(', ')}); choose one with --connection or LIBRARIAN_CONNECTION, or set a default with "librarian connections use NAME".`,
    );
  }
  const connection = data.connections[chosen];
  if (!connection) {
    throw new Error(`No connection named "${chosen}" in ${file}; known: ${names.join(', ') || '(none)'}. Add it with "librarian connections add".`);
  }
  return { name: chosen, connection };
}

export function clientFor(c: Connection): LibrarianClient {
  return new LibrarianClient({ url: connectionUrl(c), username: c.user, password: c.password });
}
