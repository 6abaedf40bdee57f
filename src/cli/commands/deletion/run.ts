import { Args, Flags } from '@oclif/core';
import * as deletion from '../../../protocol/deletion';
import type { ResponseOf } from '../../../protocol/call';
import { ClientCommand, connectionFlag } from '../../base';

export type DecisionRow = ResponseOf<typeof deletion.deleteInstance>;

/** What made a copy deletable: the Librarians that verified theirs, and when. */
export function evidenceText(d: DecisionRow): string {
  return d.evidence.filter((e) => e.matches).map((e) => `${e.librarian} (verified ${e.verified_at ?? '?'})`).join(', ');
}

export default class DeletionRun extends ClientCommand {
  static override summary = 'Run a rolling-deletion policy now, or see what it would delete (admin).';
  static override description =
    'A policy (rollingDeletion in the configuration) deletes local copies on its store older than olderThan once at least minCopies other Librarians answer that their copy matches, verified within verifiedWithin; every guard is checked at the moment of deletion, and it is never the last copy known anywhere. With --dry-run nothing is deleted: each candidate is listed with what would happen and why the others are kept.';
  static override args = { name: Args.string({ required: true, description: 'Policy name.' }) };
  static override flags = { ...connectionFlag, 'dry-run': Flags.boolean({ description: 'Delete nothing; list what would be deleted and why the rest is kept.' }) };

  async run() {
    const { args, flags } = await this.parse(DeletionRun);
    const { client } = this.connect(flags.connection);
    const s = await client.call(deletion.run, { policy: args.name, dry_run: flags['dry-run'] }, 7 * 24 * 3600_000);
    this.table(
      ['FILE', 'STORE', 'ACTION', 'WHY'],
      s.decisions.map((d) => [d.file_name ?? `instance ${d.instance_id}`, d.store_name ?? '', d.action, d.action === 'kept' ? d.reasons.join('; ') : `copies at ${evidenceText(d)}`]),
    );
    this.log(s.dry_run ? `${s.considered} considered: ${s.would_delete} would be deleted, ${s.kept} kept.` : `${s.considered} considered: ${s.deleted} deleted, ${s.kept} kept.`);
    return s;
  }
}
