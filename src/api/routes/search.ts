import { z } from 'zod';
import { notFound } from '../../shared/errors';
import type { ValidationItem } from '../../shared/wire';
import { endpoint, pageSize } from '../endpoint';

const POLICY_VALUE = { DISALLOWED: 0, ALLOWED: 1 } as const;

export const searchEndpoints = [
  endpoint({
    path: '/search/file',
    level: 'READONLY',
    summary:
      'Files, newest first, matching every filter given. Pages hold at most max_results (capped by the server); when more exist the X-Next-Cursor response header carries the cursor for the next page.',
    body: z.object({
      name: z.string().optional(),
      name_prefix: z.string().optional(),
      uploader: z.string().optional(),
      source: z.string().optional(),
      create_time_window: z.tuple([z.coerce.date(), z.coerce.date()]).optional(),
      max_results: z.number().int().nonnegative().optional(),
      cursor: z.string().optional(),
    }),
    errors: [404],
    handler: async ({ body, domain, res }) => {
      const r = await domain.search.files({
        name: body.name,
        namePrefix: body.name_prefix,
        uploader: body.uploader,
        source: body.source,
        createdAfter: body.create_time_window?.[0],
        createdBefore: body.create_time_window?.[1],
        limit: pageSize(body.max_results, domain),
        cursor: body.cursor,
      });
      if (r.files.length === 0) throw notFound('No files found.', 'Loosen the filters; name matches exactly, name_prefix matches the beginning.');
      if (r.nextCursor) res.setHeader('X-Next-Cursor', r.nextCursor);
      return r.files.map((f) => ({
        name: f.name,
        create_time: f.createTime,
        size: f.size,
        checksum: f.checksum,
        uploader: f.uploader,
        source: f.source,
        instances: f.instances.map((i) => ({
          path: i.path,
          store_id: i.storeId,
          store_name: i.storeName,
          deletion_policy: POLICY_VALUE[i.deletionPolicy],
          created_time: i.createdTime,
          available: i.available,
          checksum_time: i.checksumTime,
        })),
        remote_instances: f.remoteInstances.map((r) => ({ librarian_name: r.librarianName, store_id: r.storeId, copy_time: r.copyTime })),
      }));
    },
  }),
  endpoint({
    path: '/search/instance_local',
    level: 'ADMIN',
    summary:
      'Local instances matching every filter given, newest first. path: relative to its store, or absolute as search/file shows it; deletion_policy: "ALLOWED" or "DISALLOWED" (or 1/0); created_time: exact.',
    body: z.object({
      id: z.number().int().optional(),
      path: z.string().optional(),
      deletion_policy: z
        .union([z.string(), z.number()])
        .optional()
        .transform((v, ctx) => {
          if (v === undefined) return undefined;
          const s = String(v).toUpperCase();
          if (s === 'ALLOWED' || s === '1') return 'ALLOWED' as const;
          if (s === 'DISALLOWED' || s === '0') return 'DISALLOWED' as const;
          ctx.addIssue({ code: 'custom', message: `"${v}" is not a deletion policy; use "ALLOWED" or "DISALLOWED"` });
          return z.NEVER;
        }),
      created_time: z.coerce.date().optional(),
      file_name: z.string().optional(),
      store_id: z.number().int().optional(),
      available: z.boolean().optional(),
      max_results: z.number().int().nonnegative().optional(),
    }),
    errors: [404],
    handler: async ({ body, domain }) => {
      const found = await domain.search.instances({
        id: body.id,
        path: body.path,
        deletionPolicy: body.deletion_policy,
        createdTime: body.created_time,
        fileName: body.file_name,
        storeId: body.store_id,
        available: body.available,
        limit: pageSize(body.max_results, domain),
      });
      if (found.length === 0) throw notFound('No instances found.', 'Loosen the filters; every filter must match exactly.');
      return found.map((i) => ({
        id: i.id,
        path: i.path,
        file_name: i.fileName,
        store_id: i.storeId,
        store_name: i.storeName,
        deletion_policy: POLICY_VALUE[i.deletionPolicy],
        created_time: i.createdTime,
        available: i.available,
        checksum_time: i.checksumTime,
      }));
    },
  }),
  endpoint({
    path: '/search/instance_remote',
    level: 'ADMIN',
    summary: 'Copies recorded at other Librarians (remote instances) matching every filter given, newest first; copy_time: exact.',
    body: z.object({
      id: z.number().int().optional(),
      file_name: z.string().optional(),
      store_id: z.number().int().optional(),
      librarian_id: z.number().int().optional(),
      copy_time: z.coerce.date().optional(),
      sender: z.string().optional(),
      max_results: z.number().int().nonnegative().optional(),
    }),
    errors: [404],
    handler: async ({ body, domain }) => {
      const found = await domain.search.remoteInstances({
        id: body.id,
        fileName: body.file_name,
        storeId: body.store_id,
        librarianId: body.librarian_id,
        copyTime: body.copy_time,
        sender: body.sender,
        limit: pageSize(body.max_results, domain),
      });
      if (found.length === 0) throw notFound('No instances found.', 'Loosen the filters; every filter must match exactly.');
      return found.map((r) => ({ id: r.id, file_name: r.fileName, store_id: r.storeId, librarian_name: r.librarianName, copy_time: r.copyTime, sender: r.sender }));
    },
  }),
  endpoint({
    path: '/validate/file',
    level: 'READONLY',
    summary:
      "Recompute the checksums of the file's local instances (a checksum verified within checksums.cacheLifetime is reused unless force) and report each against the catalogued one; a damaged copy is recorded and its repair starts. With peers: true, every peer holding a copy is asked too (and asks its own), at most depth hops (default 3, at most 5), never a Librarian already on the path (visited); a peer that does not answer is an item with state unreachable. The status does not say whether they match: computed_same_checksum does.",
    body: z.object({
      file_name: z.string(),
      force: z.boolean().optional(),
      peers: z.boolean().optional(),
      depth: z.number().int().min(0).optional(),
      visited: z.array(z.string()).max(64).optional(),
    }),
    errors: [404, 503],
    handler: async ({ body, flows }): Promise<ValidationItem[]> => {
      const r = await flows.runNow.validateFile(body.file_name, body.force ?? false, body.peers ? { depth: body.depth ?? 3, visited: body.visited ?? [] } : undefined);
      return [
        ...r.local.map((v) => ({
          librarian: v.librarian,
          store: v.store,
          store_name: v.storeName,
          instance_id: v.instanceId,
          path: v.path,
          original_checksum: v.originalChecksum,
          original_size: v.originalSize,
          current_checksum: v.currentChecksum,
          current_size: v.currentSize,
          computed_same_checksum: v.computedSameChecksum,
          checksum_time: v.checksumTime === null ? null : new Date(v.checksumTime).toISOString(),
          cached: v.cached,
          state: v.state,
          ...(v.error ? { error: v.error } : {}),
        })),
        ...r.remote,
      ];
    },
  }),
];
