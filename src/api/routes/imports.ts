import { imports } from '../../protocol';
import { route } from '../endpoint';

export const importEndpoints = [
  route(imports.run, {
    level: 'ADMIN',
    summary:
      'Catalogue data already under a store root, where it lies: path (relative to the root, or absolute inside it) as one file or book, or with depth N each entry N levels below it. Each is hashed; one already catalogued is skipped, one catalogued differently is reported. Waits for the import to finish.',
    errors: [400, 404, 503],
    handler: async ({ body, flows, principal }) => {
      const s = await flows.runNow.importData({ store: body.store_name, path: body.path, depth: body.depth, name: body.name, uploader: principal!.username });
      return {
        entries: s.entries,
        catalogued: s.catalogued,
        instances_added: s.instancesAdded,
        already_catalogued: s.alreadyCatalogued,
        failed: s.failed,
        results: s.results.map((r) => ('error' in r ? { path: r.path, error: r.error } : { path: r.path, file_name: r.fileName, outcome: r.outcome, checksum: r.checksum, size: r.size, instance_id: r.instanceId })),
      };
    },
  }),
  route(imports.addFile, {
    level: 'ADMIN',
    summary:
      'v2: register one file already on a local store (path absolute, inside the store root) without moving it. Unlike v2, the data is hashed and must match the declared size and checksum, and create_time is kept. A file already catalogued is left as it is (already_exists).',
    errors: [400],
    handler: async ({ body, domain }) => {
      const r = await domain.imports.addFileV2(body.store_name, {
        path: body.path,
        name: body.name,
        uploader: body.uploader,
        source: body.source,
        declared: { size: body.size, checksum: body.checksum },
        createTime: body.create_time,
      });
      return { already_exists: r.alreadyExists, file_exists: !r.alreadyExists, success: true };
    },
  }),
];
