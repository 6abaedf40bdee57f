import { Flags } from '@oclif/core';
import { listWorkflows } from '../../../flows/inspect';
import { BaseCommand } from '../../base';
import { formatTime } from '../../format';
import { resolveTemporal, temporalClientFor, temporalFlags } from '../../temporal';

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
      const rows = await listWorkflows(client, { librarian: flags.all ? undefined : target.librarianName, type: flags.type, status: flags.status, query: flags.query, limit: flags.limit });
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
