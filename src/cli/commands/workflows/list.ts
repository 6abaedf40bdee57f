import { Flags } from '@oclif/core';
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { BaseCommand } from '../../base';
import { formatTime } from '../../format';
import { resolveTemporal, temporalClientFor, temporalFlags } from '../../temporal';

export function searchAttributesOf(w: Pick<WorkflowExecutionInfo, 'typedSearchAttributes'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const pair of w.typedSearchAttributes.getAll()) {
    if (pair.key.name.startsWith('Librarian')) out[pair.key.name] = pair.value instanceof Date ? pair.value.toISOString() : pair.value;
  }
  return out;
}

export function workflowRow(w: Omit<WorkflowExecutionInfo, 'raw'>) {
  return {
    workflow_id: w.workflowId,
    run_id: w.runId,
    type: w.type,
    status: w.status.name,
    task_queue: w.taskQueue,
    start_time: w.startTime.toISOString(),
    close_time: w.closeTime?.toISOString() ?? null,
    search_attributes: searchAttributesOf(w),
  };
}

export default class WorkflowsList extends BaseCommand {
  static override summary = "List this Librarian's workflows (newest first) through the Temporal client.";
  static override description = 'Filters by the Librarian search attribute of the connection or configuration unless --all. --query takes a Temporal visibility query, e.g. \'LibrarianPhase = "verifying"\' or \'ExecutionStatus = "Running"\'.';
  static override flags = {
    ...temporalFlags,
    query: Flags.string({ char: 'q', description: 'Temporal visibility query (ANDed with the Librarian filter).' }),
    type: Flags.string({ description: 'Only this workflow type, e.g. upload.' }),
    status: Flags.string({ options: ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew', 'TimedOut'] }),
    all: Flags.boolean({ description: 'Do not filter by Librarian name.' }),
    limit: Flags.integer({ default: 50 }),
  };

  async run() {
    const { flags } = await this.parse(WorkflowsList);
    const target = resolveTemporal(flags);
    const client = await temporalClientFor(target);
    try {
      const clauses: string[] = [];
      if (!flags.all && target.librarianName) clauses.push(`Librarian = "${target.librarianName}"`);
      if (flags.type) clauses.push(`WorkflowType = "${flags.type}"`);
      if (flags.status) clauses.push(`ExecutionStatus = "${flags.status}"`);
      if (flags.query) clauses.push(`(${flags.query})`);
      const rows = [];
      for await (const w of client.workflow.list({ query: clauses.join(' AND ') || undefined, pageSize: Math.min(flags.limit, 1000) })) {
        rows.push(workflowRow(w));
        if (rows.length >= flags.limit) break;
      }
      this.table(
        ['WORKFLOW ID', 'TYPE', 'STATUS', 'STARTED', 'CLOSED', 'PHASE'],
        rows.map((r) => [r.workflow_id, r.type, r.status, formatTime(r.start_time), formatTime(r.close_time), String(r.search_attributes.LibrarianPhase ?? '')]),
      );
      return rows;
    } finally {
      await client.connection.close();
    }
  }
}
