import { search, validation } from '../../protocol';
import { iso, isoOrNull } from '../../protocol/call';
import { notFound } from '../../shared/errors';
import { pageSize, route } from '../endpoint';

const POLICY_VALUE = { DISALLOWED: 0, ALLOWED: 1 } as const;

export const searchEndpoints = [
  route(search.file, {
    level: 'READONLY',
    summary:
      'Files, newest first, matching every filter given. Pages hold at most max_results (capped by the server); when more exist the X-Next-Cursor response header carries the cursor for the next page.',
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
        create_time: iso(f.createTime),
        size: f.size,
        checksum: f.checksum,
        uploader: f.uploader,
        source: f.source,
        instances: f.instances.map((i) => ({
          path: i.path,
          store_id: i.storeId,
          store_name: i.storeName,
          deletion_policy: POLICY_VALUE[i.deletionPolicy],
          created_time: iso(i.createdTime),
          available: i.available,
          checksum_time: isoOrNull(i.checksumTime),
        })),
        remote_instances: f.remoteInstances.map((r) => ({ librarian_name: r.librarianName, store_id: r.storeId, copy_time: iso(r.copyTime) })),
      }));
    },
  }),
  route(search.instanceLocal, {
    level: 'ADMIN',
    summary:
      'Local instances matching every filter given, newest first. path: relative to its store, or absolute as search/file shows it; deletion_policy: "ALLOWED" or "DISALLOWED" (or 1/0); created_time: exact.',
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
        created_time: iso(i.createdTime),
        available: i.available,
        checksum_time: isoOrNull(i.checksumTime),
      }));
    },
  }),
  route(search.instanceRemote, {
    level: 'ADMIN',
    summary: 'Copies recorded at other Librarians (remote instances) matching every filter given, newest first; copy_time: exact.',
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
      return found.map((r) => ({ id: r.id, file_name: r.fileName, store_id: r.storeId, librarian_name: r.librarianName, copy_time: iso(r.copyTime), sender: r.sender }));
    },
  }),
  route(validation.file, {
    level: 'READONLY',
    summary:
      "Recompute the checksums of the file's local instances (a checksum verified within checksums.cacheLifetime is reused unless force) and report each against the catalogued one; a damaged copy is recorded and its repair starts. With peers: true, every peer holding a copy is asked too (and asks its own), at most depth hops (default 3, at most 5), never a Librarian already on the path (visited); a peer that does not answer is an item with state unreachable. The status does not say whether they match: computed_same_checksum does. A request with file_name alone (as v2 Librarians ask) gets only the copies that have a current checksum, since v2 reads current_checksum and current_size as a string and an integer; lost and unreachable copies (null there) are listed when any other field is sent (force: false included).",
    errors: [404, 503],
    handler: async ({ body, flows }) => {
      const r = await flows.runNow.validateFile(body.file_name, body.force ?? false, body.peers ? { depth: body.depth ?? 3, visited: body.visited ?? [] } : undefined);
      // v2 callers (its client, recursion and rolling deletion) send file_name alone and parse
      // current_checksum and current_size as a string and an integer: a copy with none (lost, or
      // its store unmounted) is left out for them, as v2 leaves out missing data (wire-v2.md §2.9).
      const v2 = body.force === undefined && body.peers === undefined && body.depth === undefined && body.visited === undefined;
      const items = [
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
      return v2 ? items.filter((i) => i.current_checksum !== null && i.current_size !== null) : items;
    },
  }),
];
