import os from 'node:os';
import { z } from 'zod';
import type { DeletionPolicyName } from '../../domain/ingest';
import type { StageResult } from '../../domain/uploads/uploads';
import { badRequest } from '../../shared/errors';
import type { UploadCommitResponse, UploadStageResponse, UploadStatusResponse } from '../../shared/wire';
import { API_PREFIX } from '../constants';
import { endpoint } from '../endpoint';

/**
 * The v2 Python client sends its DeletionPolicy enum as the string "0" or "1" (wire-v2.md §4.3).
 * The v2 server read every such value as DISALLOWED (inventory §10.1 #2); here they mean what the
 * client meant. Names work too, in any case; anything else is refused rather than guessed.
 */
const deletionPolicySchema = z
  .union([z.literal(0), z.literal(1), z.string()])
  .optional()
  .transform((v, ctx): DeletionPolicyName => {
    const s = v === undefined ? 'DISALLOWED' : String(v).trim().toUpperCase();
    if (s === '1' || s === 'ALLOWED') return 'ALLOWED';
    if (s === '0' || s === 'DISALLOWED') return 'DISALLOWED';
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a deletion policy; use "allowed" or "disallowed" (1 or 0)` });
    return z.NEVER;
  });

const transferIdSchema = z.coerce.number().int().positive();

/**
 * An empty `hostnames` lets any host copy into staging; the v2 Python client copies only when
 * its own host name is listed (wire-v2.md §4.5), so name this host, which can.
 */
export function v2Providers(methods: StageResult['transferMethods']): UploadStageResponse['transfer_providers'] {
  if (!methods.local || methods.local.hostnames.length > 0) return methods;
  return { ...methods, local: { hostnames: [os.hostname()] } };
}

function stagedOut(r: StageResult, publicUrl: string): UploadStageResponse {
  return {
    transfer_id: r.transferId,
    available_bytes_on_store: r.availableBytes,
    store_name: r.storeName,
    staging_name: r.stagingName,
    staging_location: r.stagingLocation,
    upload_name: r.uploadName,
    destination_location: r.destination,
    transfer_providers: v2Providers(r.transferMethods),
    http_upload: { url: `${publicUrl}${API_PREFIX}/upload/${r.transferId}/data`, status: `${publicUrl}${API_PREFIX}/upload/status` },
    superseded_transfer_ids: r.supersededTransferIds,
  };
}

export const uploadEndpoints = [
  endpoint({
    path: '/upload/stage',
    level: 'READAPPEND',
    summary: 'Start an upload: reserves a staging area on the first store with room and returns where to put the data.',
    body: z.object({
      upload_size: z.number().int().nonnegative('Upload size must be positive.'),
      upload_checksum: z.string().min(1),
      upload_name: z.string().min(1),
      destination_location: z.string().min(1),
      uploader: z.string().min(1).optional(),
    }),
    status: 201,
    errors: [409, 413, 503],
    handler: async ({ body, domain, flows, principal }) =>
      stagedOut(
        await flows.upload.stage(principal!, {
          uploadSize: body.upload_size,
          uploadChecksum: body.upload_checksum,
          uploadName: body.upload_name,
          destination: body.destination_location,
          uploader: body.uploader ?? principal!.username,
        }),
        domain.config.api.publicUrl,
      ),
  }),
  endpoint({
    method: 'put',
    path: '/upload/:transfer_id/data',
    level: 'READAPPEND',
    summary:
      'Send the data of a staged upload. A file is the raw body (resume with Upload-Offset: <bytes the server holds>); a directory is a tar stream of its contents (Content-Type: application/x-tar; resume by sending the files not yet listed by upload/status).',
    errors: [403, 404, 409, 507],
    handler: async ({ req, flows, principal }) => {
      const transferId = transferIdSchema.safeParse(req.params.transfer_id);
      if (!transferId.success) throw badRequest(`"${req.params.transfer_id}" is not a transfer id.`, 'Use the transfer_id returned by upload/stage.');
      const header = req.headers['upload-offset'];
      const offset = header === undefined ? undefined : Number(header);
      if (offset !== undefined && (!Number.isInteger(offset) || offset < 0)) throw badRequest(`Upload-Offset "${header}" is not a byte offset.`, 'Send a non-negative integer.');
      const r = await flows.upload.receiveData({ transferId: transferId.data, principal: principal!, body: req, contentType: req.headers['content-type'], offset });
      return {
        transfer_id: r.transferId,
        received_bytes: r.receivedBytes,
        upload_size: r.uploadSize,
        complete: r.complete,
        ...(r.receivedFiles !== undefined ? { received_files: r.receivedFiles } : {}),
      };
    },
  }),
  endpoint({
    path: '/upload/status',
    level: 'READAPPEND',
    summary: 'What the server holds of a staged upload, for resuming an HTTP upload.',
    body: z.object({ transfer_id: transferIdSchema }),
    errors: [403, 404],
    handler: async ({ body, domain, principal }): Promise<UploadStatusResponse> => {
      const p = await domain.uploads.progress(principal!, body.transfer_id);
      return {
        transfer_id: p.transfer.id,
        status: p.transfer.status,
        upload_size: Number(p.transfer.transferSize),
        received_bytes: p.receivedBytes,
        complete: p.receivedBytes === Number(p.transfer.transferSize),
        received_files: p.files,
        failure_reason: p.transfer.failureReason,
      };
    },
  }),
  endpoint({
    path: '/upload/commit',
    level: 'READAPPEND',
    summary: 'Finish an upload: verifies size and checksum, moves the data into the store and catalogues it. Answers when that is done, or why it is not.',
    body: z
      .object({
        transfer_id: transferIdSchema,
        deletion_policy: deletionPolicySchema,
      })
      .passthrough(),
    errors: [403, 404, 406, 409],
    handler: async ({ body, flows, principal }): Promise<UploadCommitResponse> => {
      const r = await flows.upload.commit(principal!, body.transfer_id, body.deletion_policy);
      return { success: true, transfer_id: body.transfer_id, file_name: r.fileName, instance_id: r.instanceId, store_name: r.storeName, path: r.path };
    },
  }),
];

