import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import { createLogger, type Logger } from '../logger';
import { openDb, type Db } from './db';
import { migrationStatus } from './migrate';
import { StoreService } from './stores';
import { UserService } from './users';

/** The one service layer under the API, the CLI and the activities. */
export interface Services {
  config: Config;
  log: Logger;
  db: Db;
  users: UserService;
  stores: StoreService;
  /** Temporal client, connected on first use. */
  temporal(): Promise<Client>;
  close(): Promise<void>;
}

export async function createServices(config: Config, component: string, opts: { requireMigrated?: boolean } = {}): Promise<Services> {
  const log = createLogger(config, component);
  if (opts.requireMigrated !== false) {
    const { pending } = await migrationStatus(config.database);
    if (pending.length) {
      throw new Error(
        `The catalog (${config.database.provider}) is missing ${pending.length} migration(s): ${pending.join(', ')}. ` +
          'Run "librarian setup" with the same configuration first.',
      );
    }
  }
  const db = await openDb(config.database);
  let temporal: Promise<Client> | undefined;
  return {
    config,
    log,
    db,
    users: new UserService(db),
    stores: new StoreService(db, log),
    temporal() {
      temporal ??= connectClient(config.temporal).catch((e) => {
        temporal = undefined;
        throw e;
      });
      return temporal;
    },
    async close() {
      if (temporal) await (await temporal.catch(() => undefined))?.connection.close();
      await db.$disconnect();
    },
  };
}

export type { Logger };
