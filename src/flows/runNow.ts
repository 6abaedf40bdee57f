/**
 * Work an operator (or a client) asks for and waits on, each one workflow under a business id so a
 * repeated request joins the run in progress: a store health check, a file's validation, a
 * configured local clone.
 */
import type { Domain } from '../domain';
import type { localClone } from '../workflows/localClone';
import { STORE } from '../workflows/searchAttributes';
import type { storeHealthCheck } from '../workflows/storeHealthCheck';
import type { validateFile } from '../workflows/validateFile';
import type { TemporalAccess } from './temporal';

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

  /** Validates a file's local instances. */
  async validateFile(fileName: string, force: boolean) {
    await this.domain.search.requireFile(fileName);
    return this.temporal.runToCompletion<typeof validateFile>('validateFile', this.temporal.ids.validate(fileName), [
      { fileName, force, heartbeatTimeoutMs: this.domain.config.workflows.heartbeatTimeout },
    ]);
  }

  /** Runs a configured local clone now and returns its summary. */
  async localClone(name: string) {
    this.domain.localClone.settings(name);
    return this.temporal.runToCompletion<typeof localClone>('localClone', this.temporal.ids.localCloneNow(name), [
      { name, heartbeatTimeoutMs: this.domain.config.workflows.heartbeatTimeout },
    ]);
  }
}
