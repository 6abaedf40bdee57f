import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { connectClient } from '../temporal/connection';
import { createLogger, type Logger } from '../logger';
import { openDb, type Db } from './db';
import { migrationStatus } from './migrate';
import { ChecksumPool } from './checksums';
import { CloneReceiveService } from './cloneReceive';
import { CloneSendService } from './cloneSend';
import { GlobusService } from './globus';
import { LocalCloneService } from './localClone';
import { NotificationService } from './notifications';
import { SneakernetService } from './sneakernet';
import { PeerService } from './peers';
import { SearchService } from './search';
import { StoreService } from './stores';
import { UploadService } from './uploads';
import { ValidationService } from './validation';
import { UserService } from './users';

/** The one service layer under the API, the CLI and the activities. */
export interface Services {
  config: Config;
  log: Logger;
  db: Db;
  users: UserService;
  stores: StoreService;
  checksums: ChecksumPool;
  uploads: UploadService;
  search: SearchService;
  validation: ValidationService;
  peers: PeerService;
  cloneSend: CloneSendService;
  cloneReceive: CloneReceiveService;
  globus: GlobusService;
  notifications: NotificationService;
  localClone: LocalCloneService;
  sneakernet: SneakernetService;
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
  const stores = new StoreService(db, log);
  const checksums = new ChecksumPool(config.checksums.threads);
  const uploads = new UploadService(db, config, stores, checksums, log);
  const peers = new PeerService(db, config, log);
  const notifications = new NotificationService(config, log);
  return {
    config,
    log,
    db,
    users: new UserService(db),
    stores,
    checksums,
    uploads,
    search: new SearchService(db, stores),
    validation: new ValidationService(db, config, stores, checksums, log),
    peers,
    cloneSend: new CloneSendService(db, config, stores, peers, notifications, log),
    cloneReceive: new CloneReceiveService(db, config, stores, uploads, peers, log),
    globus: new GlobusService(config.globus, log),
    notifications,
    localClone: new LocalCloneService(db, config, stores, uploads, checksums, log),
    sneakernet: new SneakernetService(db, config, stores, peers, log),
    temporal() {
      temporal ??= connectClient(config.temporal).catch((e) => {
        temporal = undefined;
        throw e;
      });
      return temporal;
    },
    async close() {
      if (temporal) await (await temporal.catch(() => undefined))?.connection.close();
      await checksums.close();
      await db.$disconnect();
    },
  };
}

export type { Logger };
