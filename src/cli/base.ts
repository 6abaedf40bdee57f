import { Command, Flags } from '@oclif/core';
import type TableType from 'cli-table3';
import { ApiError, ConnectionError, UnexpectedAnswer, type LibrarianClient } from '../protocol/client';
import type { Config } from '../config';
import { isLibrarianError } from '../shared/errors';
import { clientFor, resolveConnection, type Connection } from './connections';

/** Every command: `--json` prints the command's result as JSON; errors exit non-zero with a reason. */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  protected table(head: string[], rows: (string | number | boolean | null | undefined)[][]): void {
    // Loaded here, not at the top: most commands print no table, and every module a command
    // imports is paid for on each start.
    const Table = require('cli-table3') as typeof TableType;
    const t = new Table({
      head,
      style: { head: [], border: [], compact: true },
      chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '  ' },
    });
    for (const r of rows) t.push(r.map((c) => (c === null || c === undefined ? '' : String(c))));
    this.log(t.toString());
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: unknown }): Promise<unknown> {
    const said = explain(err);
    if (!said) return super.catch(err);
    if (!this.jsonEnabled()) this.error(said.remedy ? `${said.reason}\n${said.remedy}` : said.reason, { exit: 1 });
    // Scripts read stdout: the error goes there as JSON, and to stderr as text for the person watching.
    process.exitCode = 1;
    this.logJson({ error: { reason: said.reason, suggested_remedy: said.remedy ?? null, status: said.status ?? null } });
    console.error(said.remedy ? `${said.reason}\n${said.remedy}` : said.reason);
    return undefined;
  }
}

/** What went wrong and what to do, for the errors users meet (others are oclif's to print). */
function explain(err: Error & { code?: string; path?: string; workflowId?: string }): { reason: string; remedy?: string; status?: number } | undefined {
  if (err instanceof ApiError && err.status === 404 && (err.body as { detail?: unknown } | null)?.detail === 'Not Found') {
    // FastAPI's answer for a path it does not route: a v2 server without this endpoint.
    return { reason: `The server has no endpoint ${err.url}: a Librarian v2 server lacks it (this command needs a server of this version).`, status: 404 };
  }
  if (err instanceof ApiError) return { reason: err.reason, remedy: err.suggestedRemedy || undefined, status: err.status };
  if (isLibrarianError(err)) return { reason: err.reason, remedy: err.suggestedRemedy, status: err.status };
  if (err instanceof ConnectionError) return { reason: err.message, remedy: "Is the server running, and is the connection's host and port right? (librarian connections list)" };
  if (err instanceof UnexpectedAnswer) return { reason: err.message, remedy: "Is the connection's URL a Librarian (this version or v2)? If it is, report this message as a bug." };
  // By name: the configuration module (its YAML parser and schemas) is loaded only by the
  // commands that read a configuration, not by every command to recognise its error.
  if (err.name === 'ConfigError') return { reason: err.message };
  if (err.code === 'ENOENT' && err.path) return { reason: `Nothing exists at ${err.path}.`, remedy: `Check the path (a relative path starts from ${process.cwd()}).` };
  if ((err.code === 'EACCES' || err.code === 'EPERM') && err.path) return { reason: `You may not read ${err.path} (${err.code}).`, remedy: 'Check its permissions and those of the directories above it, or run as a user who may read it.' };
  // By name: importing the Temporal client here would load it for every command.
  if (err.name === 'WorkflowNotFoundError') {
    return { reason: `No workflow ${err.workflowId ? `"${err.workflowId}" ` : ''}is known to Temporal: ${err.message}`, remedy: 'Check the id with "librarian workflows list" (finished workflows are kept only for the namespace\'s retention period).' };
  }
  return undefined;
}

export const connectionFlag = {
  connection: Flags.string({
    char: 'c',
    env: 'LIBRARIAN_CONNECTION',
    description: 'Named connection from your connections file (default: its default, or the only one).',
  }),
};

export const configFlag = {
  config: Flags.string({
    env: 'LIBRARIAN_CONFIG',
    description: 'Server configuration file (YAML or JSON); LIBRARIAN_* variables override it.',
  }),
};

/** Commands that talk to a Librarian server over HTTP. */
export abstract class ClientCommand extends BaseCommand {
  protected connect(name: string | undefined): { name: string; connection: Connection; client: LibrarianClient } {
    try {
      const r = resolveConnection(name);
      return { ...r, client: clientFor(r.connection) };
    } catch (e) {
      this.error((e as Error).message, { exit: 1 });
    }
  }

  /**
   * Whether the server is a Librarian v2 one, whose ping gives no librarian_name: known from the
   * connection when `connections add` pinged it, else asked now (one ping/logged).
   */
  protected async isV2Server(connection: Connection, client: LibrarianClient): Promise<boolean> {
    if (connection.librarianName !== undefined) return false;
    if (connection.v2 !== undefined) return connection.v2;
    const { logged } = await import('../protocol/ping');
    return (await client.call(logged, {})).librarian_name === undefined;
  }
}

/** Commands that run server parts in this process from a configuration file. */
export abstract class ServerCommand extends BaseCommand {
  protected async loadConfig(file: string | undefined): Promise<Config> {
    const { loadConfig } = await import('../config');
    return loadConfig(file);
  }
}
