import { Flags } from '@oclif/core';
import { search } from '../../protocol';
import type { ResponseOf } from '../../protocol/call';
import { ClientCommand, connectionFlag } from '../base';
import { formatBytes, formatTime } from '../format';

export default class Search extends ClientCommand {
  static override summary = 'Search files, newest first.';
  static override description = 'Filters combine (AND). Prints one page (--limit, capped by the server); --all follows the server\'s cursor through every page.';
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
    const { client } = this.connect(flags.connection);
    const window: [string, string] | undefined = flags.since || flags.until ? [flags.since ?? '1970-01-01T00:00:00Z', flags.until ?? '9999-12-31T23:59:59Z'] : undefined;
    const files: ResponseOf<typeof search.file> = [];
    let cursor: string | undefined;
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
    return files;
  }
}
