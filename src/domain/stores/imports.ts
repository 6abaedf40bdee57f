/**
 * Registering data that is already under a store root (`librarian import`, v2 admin/add_file):
 * a site adopting an existing archive, recovering from a rebuilt catalog, or taking back dark data
 * an audit found. The data is hashed where it lies and catalogued as it is (never moved); a
 * declared size and checksum (add_file) must match what is on disk.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger';
import { DEFAULT_ALGORITHM, parseChecksum, sameChecksum, type Algorithm, type ChecksumPool, type HashOptions } from '../../shared/checksums';
import { badRequest, conflict, isLibrarianError } from '../../shared/errors';
import type { Findings } from '../audit/findings';
import type { Db, Prisma } from '../catalog/db';
import { checkFileName, MAX_NAME_BYTES, safeRelativePath } from '../../shared/names';
import type { StoreService } from './stores';

export interface ImportEntry {
  /** Relative to the store root. */
  path: string;
  /** The File name (default: the path). */
  name?: string;
  uploader: string;
  source: string;
  /** What the caller says it is (add_file): checked against the data. */
  declared?: { size: number; checksum: string };
  createTime?: Date;
}

export interface Imported {
  path: string;
  fileName: string;
  outcome: 'catalogued' | 'instance-added' | 'already-catalogued';
  checksum: string;
  size: number;
  instanceId: number;
}

/** Our transient names in a store root (copies being verified, probes, data moved aside). */
const OURS = /^\.librarian-/;

export class Imports {
  constructor(
    private readonly db: Db,
    private readonly stores: StoreService,
    private readonly checksums: ChecksumPool,
    private readonly findings: Findings,
    private readonly log: Logger,
  ) {}

  /** A path given as absolute (inside the store root) or relative to it, as a clean relative path. */
  async relativePath(storeName: string, p: string): Promise<string> {
    const row = await this.stores.row(storeName);
    const store = this.stores.local(row);
    const rel = path.isAbsolute(p) ? path.relative(store.storeRoot, p) : p;
    if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) {
      throw badRequest(`${p} is not under the root of store "${storeName}" (${store.storeRoot}).`, 'Give a path inside the store root, absolute or relative to it.');
    }
    // It becomes part of the import's workflow id, and by default the File name.
    const clean = safeRelativePath(rel.split(path.sep).join('/'), 'path', MAX_NAME_BYTES);
    await store.assertInside(store.storeRoot, store.storePathFor(clean));
    if (path.resolve(store.storePathFor(clean)).startsWith(path.resolve(store.stagingRoot) + path.sep) || path.resolve(store.storePathFor(clean)) === path.resolve(store.stagingRoot)) {
      throw badRequest(`${p} is in the staging area of store "${storeName}".`, 'Staged data is catalogued by its upload or clone; import data under the store root only.');
    }
    return clean;
  }

  /**
   * What `path` holds to import: itself (depth 0), or the entries `depth` levels below it (each a
   * file or a directory, i.e. a book), in name order. Ours and the staging area are skipped.
   */
  async entries(storeName: string, p: string, depth: number): Promise<string[]> {
    const rel = await this.relativePath(storeName, p);
    const store = this.stores.local(await this.stores.row(storeName));
    const staging = path.resolve(store.stagingRoot);
    const abs = store.storePathFor(rel);
    try {
      await fs.lstat(abs);
    } catch {
      throw badRequest(`File ${abs} does not exist.`, 'Check the path (relative to the store root, or absolute inside it).');
    }
    let level = [rel];
    for (let d = 0; d < depth; d++) {
      const next: string[] = [];
      for (const r of level) {
        const a = store.storePathFor(r);
        if (!(await fs.lstat(a)).isDirectory()) continue;
        for (const e of (await fs.readdir(a, { withFileTypes: true })).sort((x, y) => x.name.localeCompare(y.name))) {
          if (OURS.test(e.name) || path.resolve(a, e.name) === staging) continue;
          next.push(`${r}/${e.name}`);
        }
      }
      level = next;
    }
    return level;
  }

  /** v2 admin/add_file: a file already catalogued is left alone; an unknown store is a 400. */
  async addFileV2(storeName: string, e: ImportEntry & { name: string }): Promise<{ alreadyExists: boolean }> {
    try {
      await this.stores.row(storeName);
    } catch (err) {
      if (isLibrarianError(err) && err.status === 404) throw badRequest(`Store ${storeName} does not exist.`, 'Check the store name with admin/stores/list.');
      throw err;
    }
    if (await this.db.file.findUnique({ where: { name: e.name } })) return { alreadyExists: true };
    await this.importEntry(storeName, e);
    return { alreadyExists: false };
  }

  /** Hashes and catalogues one path. Importing it again does nothing new. */
  async importEntry(storeName: string, e: ImportEntry, opts: Pick<HashOptions, 'onProgress' | 'signal'> = {}): Promise<Imported> {
    const row = await this.stores.row(storeName);
    const store = this.stores.local(row);
    const rel = await this.relativePath(storeName, e.path);
    const name = checkFileName(e.name ?? rel, 'file name');
    const abs = store.storePathFor(rel);
    const here = await this.db.instance.findUnique({ where: { storeId_path: { storeId: row.id, path: rel } }, include: { file: true } });
    if (here && here.fileName !== name) throw conflict(`${abs} is already catalogued as "${here.fileName}".`, 'Nothing to import.');
    const existing = await this.db.file.findUnique({ where: { name } });
    const algorithm: Algorithm = e.declared ? parseChecksum(e.declared.checksum).algorithm : existing ? parseChecksum(existing.checksum).algorithm : DEFAULT_ALGORITHM;
    let hashed;
    try {
      hashed = await this.checksums.hashPath(abs, algorithm, opts);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw badRequest(`File ${abs} does not exist.`, 'Check the path (relative to the store root, or absolute inside it).');
      throw err;
    }
    if (e.declared && (hashed.size !== e.declared.size || !sameChecksum(hashed.checksum, e.declared.checksum))) {
      throw badRequest(`The data at ${abs} is ${hashed.size} bytes hashing to ${hashed.checksum}, not the declared ${e.declared.size} bytes and ${e.declared.checksum}.`, 'Check the data (it may be damaged) or the declared size and checksum.');
    }
    if (existing && (!sameChecksum(existing.checksum, hashed.checksum) || Number(existing.size) !== hashed.size)) {
      throw conflict(`"${name}" is already catalogued with checksum ${existing.checksum} (${existing.size} bytes); the data at ${abs} hashes to ${hashed.checksum} (${hashed.size} bytes).`, 'Import it under another name (--name), or find out which is right.');
    }
    const now = new Date();
    const verified = { calculatedChecksum: hashed.checksum, calculatedSize: BigInt(hashed.size), checksumTime: now };
    let outcome: Imported['outcome'];
    let instanceId: number;
    if (here) {
      await this.db.instance.update({ where: { id: here.id }, data: verified });
      outcome = 'already-catalogued';
      instanceId = here.id;
    } else {
      const other = existing ? await this.db.instance.findUnique({ where: { fileName_storeId: { fileName: name, storeId: row.id } } }) : null;
      if (other) throw conflict(`"${name}" already has a copy on store "${storeName}", at ${other.path}.`, 'One copy per store: nothing to import.');
      instanceId = await this.db.$transaction(async (tx: Prisma.TransactionClient) => {
        if (!existing) {
          await tx.file.create({ data: { name, createTime: e.createTime ?? now, size: BigInt(hashed.size), checksum: hashed.checksum, uploader: e.uploader, source: e.source } });
        }
        const inst = await tx.instance.create({ data: { path: rel, fileName: name, storeId: row.id, deletionPolicy: 'DISALLOWED', createdTime: now, ...verified } });
        return inst.id;
      });
      outcome = existing ? 'instance-added' : 'catalogued';
    }
    await this.findings.resolvePath(row.id, rel, 'DARK', 'imported');
    this.log.info({ store: storeName, path: rel, file: name, outcome }, 'data imported');
    return { path: rel, fileName: name, outcome, checksum: hashed.checksum, size: hashed.size, instanceId };
  }
}
