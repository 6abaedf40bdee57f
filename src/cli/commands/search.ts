import { Flags } from '@oclif/core';
import * as search from '../../protocol/search';
import type { ResponseOf } from '../../protocol/call';
import { ClientCommand, connectionFlag } from '../base';
import { formatBytes, formatTime } from '../format';

/** v2's default max_search_results: the most files one of its searches answers (wire-v2.md §2.4). */
const V2_PAGE = 64;

export default class Search extends ClientCommand {
  static override summary = 'Search files, newest first.';
  static override description =
    "Filters combine (AND). Prints one page (--limit, capped by the server); --all follows the server's cursor through every page. A Librarian v2 server has neither a cursor nor --name-prefix: --name-prefix is refused before searching, and --all gets its one page (at most 64 files by default); when that page is full, the files are printed, a warning that the list may be incomplete goes to stderr and the exit status is 1.";
  static override flags = {
    ...connectionFlag,
    name: Flags.string({ description: 'Exact file name.' }),
    'name-prefix': Flags.string({ description: 'Names starting with exactly this (case counts; % and _ are plain characters).' }),
    uploader: Flags.string(),
    source: Flags.string({ description: 'Uploading account or sending Librarian.' }),
    since: Flags.string({ description: 'Created at or after (ISO 8601; without an offset, UTC).' }),
    until: Flags.string({ description: 'Created at or before (ISO 8601; without an offset, UTC).' }),
    limit: Flags.integer({ description: 'Results per page (the server caps it).' }),
    all: Flags.boolean({ description: 'Fetch every page.' }),
  };

  async run() {
    const { flags } = await this.parse(Search);
    const { connection, client } = this.connect(flags.connection);
    // v2 ignores name_prefix and would answer its newest files: refused before asking.
    if (flags['name-prefix'] !== undefined && (await this.isV2Server(connection, client))) {
      this.error(`The server at ${client.url} is a Librarian v2 server, which ignores --name-prefix: it supports only exact --name, --uploader, --source and --since/--until.`, { exit: 1 });
    }
    const window: [string, string] | undefined = flags.since || flags.until ? [flags.since ?? '1970-01-01T00:00:00Z', flags.until ?? '9999-12-31T23:59:59Z'] : undefined;
    const files: ResponseOf<typeof search.file> = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      let page;
      try {
        page = await client.callWithHeaders(search.file, {
          name: flags.name,
          name_prefix: flags['name-prefix'],
          uploader: flags.uploader,
          source: flags.source,
          create_time_window: window,
          max_results: flags.limit,
          cursor,
        });
      } catch (e) {
        if ((e as { status?: number }).status === 404 && files.length === 0) break;
        throw e;
      }
      const prefix = flags['name-prefix'];
      if (prefix !== undefined && page.body.some((f) => !f.name.startsWith(prefix))) {
        // A Librarian v2 server ignores name_prefix and answers its newest files instead.
        this.error(`The server at ${client.url} ignores --name-prefix (it answered files outside "${prefix}"): a Librarian v2 server supports only exact --name, --uploader, --source and --since/--until.`, { exit: 1 });
      }
      files.push(...page.body);
      pages++;
      cursor = page.headers.get('x-next-cursor') ?? undefined;
    } while (flags.all && cursor);
    this.table(
      ['NAME', 'SIZE', 'CREATED', 'UPLOADER', 'SOURCE', 'INSTANCES', 'REMOTE'],
      files.map((f) => [
        f.name,
        formatBytes(f.size),
        formatTime(f.create_time),
        f.uploader,
        f.source,
        f.instances.map((i) => `${i.store_name ?? `store ${i.store_id}`}${i.available ? '' : ' (unavailable)'}`).join(', '),
        f.remote_instances.map((r) => r.librarian_name).join(', '),
      ]),
    );
    if (!flags.all && cursor) this.log('(more results: use --all)');
    // Our servers send a cursor while more files match; v2 servers never do, and cut every answer
    // at their max_search_results (64 by default). A full page from one may not be all: said on
    // stderr and by the exit status (a script asked for every file), the files still printed.
    const page = Math.min(flags.limit ?? V2_PAGE, V2_PAGE);
    if (flags.all && pages === 1 && !cursor && files.length >= page && (await this.isV2Server(connection, client))) {
      const oldest = files[files.length - 1]!.create_time;
      // console.error, not logToStderr: with --json too (stdout is the JSON list).
      console.error(
        `Warning: the list may be incomplete. ${client.url} is a Librarian v2 server, which cannot page (it sends no cursor) and answers at most ${V2_PAGE} files per search by default; it answered ${files.length}. ` +
          `Narrow the search (--name, --uploader, --source, --since/--until), e.g. --until ${oldest} for the older ones.`,
      );
      process.exitCode = 1;
    }
    return files;
  }
}
