import type { z } from 'zod';
import os from 'node:os';
import type { StageResult } from '../../domain/uploads/uploads';
import { uploads } from '../../protocol';
import type { AnswerOf } from '../../protocol/call';
import { badRequest } from '../../shared/errors';
import { API_PREFIX } from '../constants';
import { endpoint, route } from '../endpoint';

/**
 * An empty `hostnames` lets any host copy into staging; the v2 Python client copies only when
 * its own host name is listed (wire-v2.md §4.5), so name this host, which can.
 */
export function v2Providers(methods: StageResult['transferMethods']): AnswerOf<typeof uploads.stage>['transfer_providers'] {
  if (!methods.local || methods.local.hostnames.length > 0) return methods;
  return { ...methods, local: { hostnames: [os.hostname()] } };
}

function stagedOut(r: StageResult, publicUrl: string): AnswerOf<typeof uploads.stage> {
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
  route(uploads.stage, {
    level: 'READAPPEND',
    summary: 'Start an upload: reserves a staging area on the first store with room and returns where to put the data.',
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
    path: `/${uploads.data.path}`,
    level: 'READAPPEND',
    summary:
      'Send the data of a staged upload. A file is the raw body (resume with Upload-Offset: <bytes the server holds>); a directory is a tar stream of its contents (Content-Type: application/x-tar; resume by sending the files not yet listed by upload/status).',
    response: uploads.data.response,
    errors: [403, 404, 409, 507],
    handler: async ({ req, flows, principal }): Promise<z.input<typeof uploads.dataAnswer>> => {
      const transferId = uploads.transferIdParam.safeParse(req.params.transfer_id);
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
  route(uploads.status, {
    level: 'READAPPEND',
    summary: 'What the server holds of a staged upload, for resuming an HTTP upload; during its commit, how far the verification has got.',
    errors: [403, 404],
    handler: async ({ body, flows, principal }) => {
      const p = await flows.upload.status(principal!, body.transfer_id);
      return {
        transfer_id: p.transfer.id,
        status: p.transfer.status,
        upload_size: Number(p.transfer.transferSize),
        received_bytes: p.receivedBytes,
        complete: p.receivedBytes === Number(p.transfer.transferSize),
        received_files: p.files,
        failure_reason: p.transfer.failureReason,
        verification: p.verification,
      };
    },
  }),
  route(uploads.commit, {
    level: 'READAPPEND',
    summary:
      'Finish an upload: verifies size and checksum (upload_checksum declares it here when upload/stage did not), moves the data into the store and catalogues it. Answers when that is done, or why it is not.',
    errors: [400, 403, 404, 406, 409],
    handler: async ({ body, flows, principal }) => {
      const r = await flows.upload.commit(principal!, body.transfer_id, body.deletion_policy, body.upload_checksum);
      return { success: true as const, transfer_id: body.transfer_id, file_name: r.fileName, instance_id: r.instanceId, store_name: r.storeName, path: r.path };
    },
  }),
];

