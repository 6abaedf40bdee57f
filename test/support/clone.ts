import path from 'node:path';
import { uploadPath } from '../../src/client/upload';
import { listTree, makeBook, makeFile, tmpDir, treeDigest } from './data';
import type { LibrarianHandle } from './librarian';
import { waitFor } from './ports';

export interface Uploaded {
  name: string;
  local: string;
}

/** Uploads `files` small files and `books` directories into a Librarian (8 at a time). */
export async function fill(lib: LibrarianHandle, opts: { files: number; books: number; fileSize?: number; prefix?: string; deletionPolicy?: 'allowed' | 'disallowed' }): Promise<Uploaded[]> {
  const dir = tmpDir('clone-src-');
  const prefix = opts.prefix ?? 'obs';
  const todo: Uploaded[] = [];
  for (let i = 0; i < opts.files; i++) todo.push({ name: `${prefix}/files/f${String(i).padStart(4, '0')}.dat`, local: makeFile(path.join(dir, `f${i}.dat`), (opts.fileSize ?? 2000) + i) });
  for (let i = 0; i < opts.books; i++) todo.push({ name: `${prefix}/books/book_${i}`, local: makeBook(path.join(dir, `book_${i}`), 6, 30_000) });
  const queue = [...todo];
  const client = lib.client();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let u = queue.shift(); u; u = queue.shift()) await uploadPath(client, u.local, u.name, { via: 'copy', uploader: 'telescope-pipeline', deletionPolicy: opts.deletionPolicy });
    }),
  );
  return todo;
}

/**
 * Runs the sending step until every file has a RemoteInstance at `to`. The timeout is below
 * jest's, so a stall fails here with what each side was doing rather than as a bare test timeout.
 */
export async function cloneAll(from: LibrarianHandle, to: LibrarianHandle, expected: number, timeoutMs = 120_000): Promise<void> {
  const svc = await from.domain();
  const peer = await svc.db.librarian.findUniqueOrThrow({ where: { name: to.name } });
  const deadline = Date.now() + timeoutMs;
  try {
    await waitFor(
      `${expected} files cloned from ${from.name} to ${to.name}`,
      async () => {
        const done = await svc.db.remoteInstance.count({ where: { librarianId: peer.id } });
        if (done >= expected) return true;
        const inFlight = await svc.transfers.outgoing.inFlightBatches(to.name);
        if (inFlight.length === 0) await from.client().post('admin/clone/send', { peer: to.name }, Math.max(1000, deadline - Date.now()));
        return false;
      },
      timeoutMs,
      1000,
    );
  } catch (e) {
    const status = await from.cli(['clone', 'status', '--peer', to.name, '--json']);
    const done = await svc.db.remoteInstance.count({ where: { librarianId: peer.id } });
    const tail = (lib: LibrarianHandle) => lib.logOf('worker').split('\n').slice(-40).join('\n');
    throw new Error(
      `${(e as Error).message}\n${done}/${expected} cloned.\nclone status at ${from.name}:\n${status.stdout}${status.stderr}\n` +
        `${from.name} worker log (end):\n${tail(from)}\n${to.name} worker log (end):\n${tail(to)}`,
    );
  }
}

/** Asserts the destination holds every file byte for byte, catalogued as the source has it. */
export async function expectCloned(from: LibrarianHandle, to: LibrarianHandle, files: Uploaded[], destStore = 'main'): Promise<void> {
  const src = await from.domain();
  const dst = await to.domain();
  const peer = await src.db.librarian.findUniqueOrThrow({ where: { name: to.name } });
  for (const f of files) {
    const a = await src.db.file.findUniqueOrThrow({ where: { name: f.name }, include: { remoteInstances: true } });
    const b = await dst.db.file.findUniqueOrThrow({ where: { name: f.name }, include: { instances: { include: { store: true } } } });
    expect({ name: b.name, size: b.size, checksum: b.checksum, uploader: b.uploader, source: b.source, createTime: b.createTime.toISOString() }).toEqual({
      name: a.name,
      size: a.size,
      checksum: a.checksum,
      uploader: 'telescope-pipeline',
      source: from.name,
      createTime: a.createTime.toISOString(),
    });
    expect(b.instances).toHaveLength(1);
    expect(b.instances[0]!.store.name).toBe(destStore);
    expect(treeDigest(path.join(to.dir, `stores/${destStore}/store`, f.name))).toEqual(treeDigest(f.local));
    expect(a.remoteInstances.filter((r) => r.librarianId === peer.id)).toEqual([
      expect.objectContaining({ storeId: b.instances[0]!.storeId, sender: from.name }),
    ]);
  }
  // No RemoteInstance without a verified copy behind it, and nothing left half-done.
  const remote = await src.db.remoteInstance.findMany({ where: { librarianId: peer.id } });
  for (const r of remote) expect(await dst.db.file.findUnique({ where: { name: r.fileName } })).not.toBeNull();
  expect(await src.db.outgoingTransfer.count({ where: { destination: to.name, status: { in: ['INITIATED', 'ONGOING', 'STAGED'] } } })).toBe(0);
  expect(await dst.db.incomingTransfer.count({ where: { status: { in: ['INITIATED', 'ONGOING', 'STAGED'] } } })).toBe(0);
  expect(listTree(path.join(to.dir, `stores/${destStore}/staging`))).toEqual([]);
  expect(await dst.db.file.count()).toBe(await dst.db.instance.count());
}

/** Settings that make retries and waits short enough for tests (the production defaults are minutes and days). */
export const FAST_CLONE = {
  workflows: { heartbeatTimeout: '3s' },
  clone: {
    every: 0,
    batchSize: 64,
    maxBatchesPerPeer: 3,
    retry: { initialInterval: '200ms', maximumInterval: '2s' },
    giveUpAfter: '10m',
    callbackWait: '3s',
    receiveTimeout: '1m',
  },
};
