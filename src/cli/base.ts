import { Command, Flags } from '@oclif/core';
import Table from 'cli-table3';
import { ApiError, ConnectionError, UnexpectedAnswer, type LibrarianClient } from '../protocol/client';
import { ConfigError, loadConfig, type Config } from '../config';
import { isLibrarianError } from '../shared/errors';
import { clientFor, resolveConnection, type Connection } from './connections';

/** Every command: `--json` prints the command's result as JSON; errors exit non-zero with a reason. */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true;

  protected table(head: string[], rows: (string | number | boolean | null | undefined)[][]): void {
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
    if (err instanceof ConfigError) this.error(err.message, { exit: 1 });
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
  protected loadConfig(file: string | undefined): Config {
    return loadConfig(file);
  }
}
