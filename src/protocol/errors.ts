import { z } from 'zod';
import { call, time, timeInput } from './call';
import { catalogId } from './fields';

/** v2 ErrorSeverity and ErrorCategory: lower-case strings on the wire (wire-v2.md §4.4). */
export const ERROR_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type ErrorSeverity = (typeof ERROR_SEVERITIES)[number];
export const ERROR_CATEGORIES = ['data_integrity', 'data_availability', 'configuration', 'store_full', 'programming', 'librarian_network_availability', 'transfer'] as const;
export type ErrorCategory = (typeof ERROR_CATEGORIES)[number];

export const errorFound = z.object({
  id: z.number().int(),
  severity: z.enum(ERROR_SEVERITIES),
  category: z.enum(ERROR_CATEGORIES),
  message: z.string(),
  raised_time: time,
  cleared_time: time.nullable(),
  cleared: z.boolean(),
  caller: z.string().nullable(),
});

/**
 * Alerts raised to operators, newest first. Nothing found is a 404 with the reason "No errors
 * found.", which the v2 Python client (and this CLI) read as an empty list.
 */
export const search = call(
  'search/error',
  z.object({
    id: catalogId.optional(),
    category: z.enum(ERROR_CATEGORIES).optional(),
    severity: z.enum(ERROR_SEVERITIES).optional(),
    create_time_window: z.tuple([timeInput, timeInput]).optional(),
    include_resolved: z.boolean().default(false),
    max_results: z.number().int().nonnegative().optional(),
  }),
  z.array(errorFound),
);

export const clear = call('error/clear', z.object({ id: catalogId }), z.object({ id: z.number().int(), cleared_time: time, cleared: z.literal(true) }));
