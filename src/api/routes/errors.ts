import type { ErrorView } from '../../domain/errorLog';
import { errors } from '../../protocol';
import { iso, isoOrNull, type AnswerOf } from '../../protocol/call';
import { notFound } from '../../shared/errors';
import { pageSize, route } from '../endpoint';

const errorOut = (e: ErrorView): AnswerOf<typeof errors.search>[number] => ({
  id: e.id,
  severity: e.severity,
  category: e.category,
  message: e.message,
  raised_time: iso(e.raisedTime),
  cleared_time: isoOrNull(e.clearedTime),
  cleared: e.cleared,
  caller: e.caller,
});

export const errorEndpoints = [
  route(errors.search, {
    level: 'ADMIN',
    summary:
      'Alerts raised to operators (audit findings, repairs that failed, clone batches given up, full stores), newest first; uncleared only unless include_resolved. The window filters on raised_time.',
    errors: [404],
    handler: async ({ body, domain }) => {
      const found = await domain.errorLog.search({
        id: body.id,
        category: body.category,
        severity: body.severity,
        raisedAfter: body.create_time_window?.[0],
        raisedBefore: body.create_time_window?.[1],
        includeResolved: body.include_resolved,
        limit: pageSize(body.max_results, domain),
      });
      // This exact reason is what makes the v2 Python client answer an empty list.
      if (found.length === 0) throw notFound('No errors found.', 'Loosen the filters (include_resolved: true lists cleared errors too).');
      return found.map(errorOut);
    },
  }),
  route(errors.clear, {
    level: 'ADMIN',
    summary: 'Mark an error as dealt with. What is still wrong is raised again by whatever checks it (audits, repairs, clone batches).',
    errors: [404],
    handler: async ({ body, domain }) => {
      const e = await domain.errorLog.clear(body.id);
      // clear() answers only the row it has just cleared, so both are set.
      return { id: e.id, cleared_time: iso(e.clearedTime!), cleared: true as const };
    },
  }),
];
