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
    if (err instanceof ApiError && err.status === 404 && (err.body as { detail?: unknown } | null)?.detail === 'Not Found') {
      // FastAPI's answer for a path it does not route: a v2 server without this endpoint.
      this.error(`The server has no endpoint ${err.url}: a Librarian v2 server lacks it (this command needs a server of this version).`, { exit: 1 });
    }
    if (err instanceof ApiError) {
      this.error(`${err.reason}${err.suggestedRemedy ? `\n${err.suggestedRemedy}` : ''}`, { exit: 1 });
    }
    if (isLibrarianError(err)) this.error(`${err.reason}\n${err.suggestedRemedy}`, { exit: 1 });
    if (err instanceof ConnectionError) this.error(`${err.message}\nIs the server running, and is the connection's host and port right? (librarian connections list)`, { exit: 1 });
    if (err instanceof UnexpectedAnswer) this.error(`${err.message}\nIs the connection's URL a Librarian (this version or v2)? If it is, report this message as a bug.`, { exit: 1 });
    // By name: the configuration module (its YAML parser and schemas) is loaded only by the
    // commands that read a configuration, not by every command to recognise its error.
    if (err.name === 'ConfigError') this.error(err.message, { exit: 1 });
    return super.catch(err);
  }
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
}

/** Commands that run server parts in this process from a configuration file. */
export abstract class ServerCommand extends BaseCommand {
  protected async loadConfig(file: string | undefined): Promise<Config> {
    const { loadConfig } = await import('../config');
    return loadConfig(file);
  }
}
