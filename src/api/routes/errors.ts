import { z } from 'zod';
import { ERROR_CATEGORIES, ERROR_SEVERITIES, type ErrorView } from '../../domain/errorLog';
import { notFound } from '../../shared/errors';
import { endpoint, pageSize } from '../endpoint';

const errorOut = (e: ErrorView) => ({
  id: e.id,
  severity: e.severity,
  category: e.category,
  message: e.message,
  raised_time: e.raisedTime,
  cleared_time: e.clearedTime,
  cleared: e.cleared,
  caller: e.caller,
});

const errorResponse = z.object({
  id: z.number(),
  severity: z.enum(ERROR_SEVERITIES),
  category: z.enum(ERROR_CATEGORIES),
  message: z.string(),
  raised_time: z.string(),
  cleared_time: z.string().nullable(),
  cleared: z.boolean(),
  caller: z.string().nullable(),
});

export const errorEndpoints = [
  endpoint({
    path: '/search/error',
    level: 'ADMIN',
    summary:
      'Alerts raised to operators (audit findings, repairs that failed, clone batches given up, full stores), newest first; uncleared only unless include_resolved. The window filters on raised_time.',
    body: z.object({
      id: z.number().int().optional(),
      category: z.enum(ERROR_CATEGORIES).optional(),
      severity: z.enum(ERROR_SEVERITIES).optional(),
      create_time_window: z.tuple([z.coerce.date(), z.coerce.date()]).optional(),
      include_resolved: z.boolean().default(false),
      max_results: z.number().int().nonnegative().optional(),
    }),
    response: z.array(errorResponse),
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
  endpoint({
    path: '/error/clear',
    level: 'ADMIN',
    summary: 'Mark an error as dealt with. What is still wrong is raised again by whatever checks it (audits, repairs, clone batches).',
    body: z.object({ id: z.number().int() }),
    response: z.object({ id: z.number(), cleared_time: z.string(), cleared: z.literal(true) }),
    errors: [404],
    handler: async ({ body, domain }) => {
      const e = await domain.errorLog.clear(body.id);
      return { id: e.id, cleared_time: e.clearedTime, cleared: e.cleared };
    },
  }),
];
