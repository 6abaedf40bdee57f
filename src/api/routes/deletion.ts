import type { z } from 'zod';
import type { DeletionDecision } from '../../domain/audit/deletions';
import { deletion } from '../../protocol';
import { iso, type AnswerOf } from '../../protocol/call';
import { forbidden, isLibrarianError, LibrarianError } from '../../shared/errors';
import { route } from '../endpoint';

const decisionOut = (d: DeletionDecision): z.input<typeof deletion.decision> => ({
  instance_id: d.instanceId,
  file_name: d.fileName,
  store_name: d.store,
  action: d.action,
  reasons: d.reasons,
  evidence: d.evidence.map((e) => ({ librarian: e.librarian, matches: e.matches, verified_at: e.verifiedAt, ...(e.problem ? { problem: e.problem } : {}) })),
});

/** v2 answers these two with {success: false, instance_id} and a 400 when the id is unknown. */
async function v2Instance(id: number, fn: () => Promise<void>): Promise<AnswerOf<typeof deletion.deleteLocal>> {
  try {
    await fn();
  } catch (e) {
    if (isLibrarianError(e) && e.status === 404) throw new LibrarianError(400, e.reason, e.suggestedRemedy, { success: false, instance_id: id });
    throw e;
  }
  return { success: true, instance_id: id };
}

export const deletionEndpoints = [
  route(deletion.run, {
    level: 'ADMIN',
    summary:
      'Run a rolling-deletion policy now and wait for its summary; with dry_run, delete nothing and list what would be deleted and why the rest is kept. A run already going is joined.',
    errors: [404, 503],
    handler: async ({ body, flows }) => {
      const s = await flows.deletion.run(body.policy, body.dry_run);
      return { policy: s.policy, dry_run: s.dryRun, considered: s.considered, deleted: s.deleted, would_delete: s.wouldDelete, kept: s.kept, decisions: s.decisions.map(decisionOut) };
    },
  }),
  route(deletion.log, {
    level: 'ADMIN',
    summary: 'Deletions of local copies, newest first, each with its evidence (which Librarians verified a copy, and when).',
    handler: async ({ body, domain }) => ({
      deletions: (await domain.deletions.history({ fileName: body.file_name, limit: body.limit })).map((d) => ({
        id: d.id,
        file_name: d.fileName,
        store_id: d.storeId,
        instance_id: d.instanceId,
        path: d.path,
        by: d.by,
        deleted_at: iso(d.deletedAt),
        // A JSON column, written only by Deletions (delete, deleteLocalV2) in this shape.
        evidence: d.evidence as z.input<typeof deletion.recordedEvidence>,
      })),
    }),
  }),
  route(deletion.deleteInstance, {
    level: 'READWRITE',
    summary:
      "Delete this Librarian's copy of file_name (on store_name when it has several), with the rolling-deletion guard: its deletion policy allows it, nothing is reading it, and at least min_copies other Librarians answer now that their copy matches, verified within verified_within; never the last copy known anywhere. force (admins only) skips all but the last-copy check. dry_run only says what would happen.",
    errors: [403, 404, 409, 503],
    handler: async ({ body, flows, principal }) => {
      if (body.force && principal!.level !== 'ADMIN') throw forbidden('Only an admin may force a deletion.', 'Ask without force: the copy is deleted when other Librarians hold verified copies.');
      const d = await flows.deletion.deleteInstance({
        fileName: body.file_name,
        store: body.store_name,
        minCopies: body.min_copies,
        verifiedWithinMs: body.verified_within,
        force: body.force,
        dryRun: body.dry_run,
        by: `operator:${principal!.username}`,
      });
      if (d.action === 'kept') throw new LibrarianError(409, `"${body.file_name}" was not deleted: ${d.reasons.join('; ')}.`, 'See the reasons; try again when they no longer hold.', decisionOut(d));
      return decisionOut(d);
    },
  }),
  route(deletion.deleteLocal, {
    level: 'ADMIN',
    summary:
      'v2: remove a local instance. With delete_file its data is deleted (the row stays, unavailable); without, only the row goes and the data stays on disk, uncatalogued. Never the last copy known anywhere (409); recorded in the deletion log.',
    errors: [400, 409],
    handler: async ({ body, domain, principal }) => v2Instance(body.instance_id, () => domain.deletions.deleteLocalV2(body.instance_id, body.delete_file ?? false, `operator:${principal!.username}`)),
  }),
  route(deletion.deleteRemote, {
    level: 'ADMIN',
    summary: 'v2: forget a RemoteInstance (our record of a copy at another Librarian). Its data there is not touched.',
    errors: [400],
    handler: async ({ body, domain }) =>
      v2Instance(body.instance_id, async () => {
        if (!(await domain.transfers.outgoing.forgetRemoteInstance(body.instance_id))) throw new LibrarianError(404, `Instance does not exist: no remote instance has id ${body.instance_id}.`, 'List them with search/file (remote_instances).');
      }),
  }),
];
