import { Flags } from '@oclif/core';
import * as errors from '../../../protocol/errors';
import type { ResponseOf } from '../../../protocol/call';
import { ERROR_CATEGORIES, ERROR_SEVERITIES, type ErrorCategory, type ErrorSeverity } from '../../../protocol/errors';
import { ApiError } from '../../../protocol/client';
import { ClientCommand, connectionFlag } from '../../base';
import { formatTime } from '../../format';

export default class ErrorsList extends ClientCommand {
  static override summary = 'Alerts raised to operators, newest first: uncleared ones unless --all (admin).';
  static override description =
    'Every alert (audit findings, repairs that failed, clone batches given up, full stores) is recorded before it is logged and posted to Slack. Clear one with "librarian errors clear ID" once dealt with; whatever is still wrong is raised again by what checks it.';
  static override flags = {
    ...connectionFlag,
    all: Flags.boolean({ description: 'Cleared errors too.' }),
    category: Flags.string({ options: [...ERROR_CATEGORIES], description: 'Only this category.' }),
    severity: Flags.string({ options: [...ERROR_SEVERITIES], description: 'Only this severity.' }),
    max: Flags.integer({ description: 'At most this many (the server caps it).', default: 64 }),
  };

  async run() {
    const { flags } = await this.parse(ErrorsList);
    const { client } = this.connect(flags.connection);
    let rows: ResponseOf<typeof errors.search> = [];
    try {
      rows = await client.call(errors.search, { category: flags.category as ErrorCategory | undefined, severity: flags.severity as ErrorSeverity | undefined, include_resolved: flags.all, max_results: flags.max });
    } catch (e) {
      // "Nothing matches" is an answer, not a failure.
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
    this.table(
      ['ID', 'RAISED', 'SEVERITY', 'CATEGORY', 'BY', 'CLEARED', 'MESSAGE'],
      rows.map((r) => [r.id, formatTime(r.raised_time), r.severity, r.category, r.caller ?? '', formatTime(r.cleared_time), r.message]),
    );
    if (rows.length === 0) this.log(flags.all ? 'No errors recorded.' : 'No uncleared errors.');
    return rows;
  }
}
