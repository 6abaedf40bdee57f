/**
 * The record of operators' alerts (table `errors`), searchable and clearable as the v2
 * `search/error` and `error/clear` endpoints expect (wire-v2.md §2.4-2.5). Every alert is
 * written here before it is logged and posted, so what Slack missed can still be found.
 */
import { badRequest, notFound } from '../shared/errors';
import type { ErrorCategory, ErrorSeverity } from '../protocol/errors';
import type { Db } from './catalog/db';

export { ERROR_CATEGORIES, ERROR_SEVERITIES, type ErrorCategory, type ErrorSeverity } from '../protocol/errors';

export interface ErrorView {
  id: number;
  severity: ErrorSeverity;
  category: ErrorCategory;
  message: string;
  raisedTime: Date;
  clearedTime: Date | null;
  cleared: boolean;
  caller: string | null;
}

export interface ErrorQuery {
  id?: number;
  severity?: ErrorSeverity;
  category?: ErrorCategory;
  raisedAfter?: Date;
  raisedBefore?: Date;
  includeResolved?: boolean;
  limit: number;
}

export class ErrorLog {
  constructor(private readonly db: Db) {}

  async record(severity: ErrorSeverity, category: ErrorCategory, message: string, caller?: string): Promise<number> {
    const row = await this.db.errorRecord.create({ data: { severity, category, message, caller: caller ?? null } });
    return row.id;
  }

  /** Newest first; cleared ones only with includeResolved. */
  async search(q: ErrorQuery): Promise<ErrorView[]> {
    // Prisma leaves out filters that are undefined.
    const rows = await this.db.errorRecord.findMany({
      where: {
        id: q.id,
        severity: q.severity,
        category: q.category,
        raisedTime: { gte: q.raisedAfter, lte: q.raisedBefore },
        cleared: q.includeResolved ? undefined : false,
      },
      orderBy: [{ raisedTime: 'desc' }, { id: 'desc' }],
      take: q.limit,
    });
    return rows.map((r) => ({ ...r, severity: r.severity as ErrorSeverity, category: r.category as ErrorCategory }));
  }

  /** Marks an error seen and dealt with; what is still wrong is raised again by whatever checks it. */
  async clear(id: number): Promise<ErrorView> {
    // Only an uncleared row is updated, so two clears at once cannot both succeed.
    const n = await this.db.errorRecord.updateMany({ where: { id, cleared: false }, data: { cleared: true, clearedTime: new Date() } });
    const r = await this.db.errorRecord.findUnique({ where: { id } });
    if (!r) throw notFound(`No error found with ID ${id} to clear.`, 'Check the ID with search/error (librarian errors list).');
    if (n.count === 0) throw badRequest(`Error with ID ${id} has already been cleared.`, 'Nothing to do; search/error with include_resolved lists cleared errors.');
    return { ...r, severity: r.severity as ErrorSeverity, category: r.category as ErrorCategory };
  }
}
