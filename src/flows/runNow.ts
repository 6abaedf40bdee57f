/**
 * Work an operator (or a client) asks for and waits on, each one workflow under a business id so a
 * repeated request joins the run in progress: a store health check, a file's validation (here or
 * across sites), an import of data already on a store, a configured local clone.
 */
import type { Domain } from '../domain';
import { MAX_VALIDATION_HOPS } from '../shared/names';
import type { importData } from '../workflows/importData';
import type { localClone } from '../workflows/localClone';
import { STORE } from '../workflows/searchAttributes';
import type { storeHealthCheck } from '../workflows/storeHealthCheck';
import type { validateFile } from '../workflows/validateFile';
import type { TemporalAccess } from './temporal';

/** Hops a validation across sites goes at most, whatever is asked. */
export const MAX_DEPTH = MAX_VALIDATION_HOPS;

export class RunNowFlow {
  constructor(
    private readonly domain: Domain,
    private readonly temporal: TemporalAccess,
  ) {}

  /** Runs a health check of one store and waits for the verdict. */
  async storeHealthCheck(storeName: string) {
    await this.domain.stores.row(storeName);
    return this.temporal.runToCompletion<typeof storeHealthCheck>('storeHealthCheck', this.temporal.ids.storeHealth(storeName), [{ storeName }], {
      searchAttributes: [{ key: STORE, value: storeName }],
      executionTimeout: '10m',
    });
  }

  /**
   * Validates a file's local instances; with `peers`, also asks every peer holding a copy (which
   * ask theirs), `depth` hops down at most, skipping the Librarians already on the path.
   */
  async validateFile(fileName: string, force: boolean, peers?: { depth: number; visited: string[] }) {
    await this.domain.search.requireFile(fileName);
    const across = peers ? { depth: Math.min(peers.depth, MAX_DEPTH), visited: [...new Set([...peers.visited, this.domain.config.name])] } : undefined;
    const id = across ? this.temporal.ids.validateAcross(fileName, across.depth, across.visited) : this.temporal.ids.validate(fileName);
    return this.temporal.runToCompletion<typeof validateFile>('validateFile', id, [{ fileName, force, heartbeatTimeoutMs: this.domain.config.workflows.heartbeatTimeout, peers: across }]);
  }

  /**
   * Imports data already under a store root (the path, or each entry `depth` levels below it)
   * and returns what was catalogued.
   */
  async importData(req: { store: string; path: string; depth: number; name?: string; uploader: string }) {
    const rel = await this.domain.imports.relativePath(req.store, req.path);
    return this.temporal.runToCompletion<typeof importData>('importData', this.temporal.ids.importData(req.store, rel, req.depth), [
      { store: req.store, path: rel, depth: req.depth, name: req.name, uploader: req.uploader, source: this.domain.config.name, heartbeatTimeoutMs: this.domain.config.workflows.heartbeatTimeout },
    ], { searchAttributes: [{ key: STORE, value: req.store }] });
  }

  /** Runs a configured local clone now and returns its summary. */
  async localClone(name: string) {
    this.domain.localClone.settings(name);
    return this.temporal.runToCompletion<typeof localClone>('localClone', this.temporal.ids.localCloneNow(name), [
      { name, heartbeatTimeoutMs: this.domain.config.workflows.heartbeatTimeout },
    ]);
  }
}
