/**
 * The domain layer: everything that touches the catalog, the disks, peers and Globus, and nothing
 * that knows Temporal, Express or oclif. Each service takes its dependencies explicitly; this
 * module wires them once per process.
 */
import type { Config } from '../config';
import { createLogger, type Logger } from '../logger';
import { ChecksumPool } from '../shared/checksums';
import { Deletions } from './audit/deletions';
import { Findings } from './audit/findings';
import { Integrity } from './audit/integrity';
import { RemoteCopies } from './audit/remoteCopies';
import { Repairs } from './audit/repair';
import { StoreAudit } from './audit/storeAudit';
import { openDb, type Db } from './catalog/db';
import { migrationStatus } from './catalog/migrate';
import { SearchService } from './catalog/search';
import { CloneCallbacks } from './clone/callbacks';
import { CloneExplainer } from './clone/explain';
import { ClonePlanner } from './clone/planner';
import { CloneReceiver } from './clone/receiver';
import { CorruptResend } from './clone/resend';
import { CloneSender } from './clone/sender';
import { GlobusService } from './globus/globus';
import { Ingest } from './ingest';
import { LocalCloneService } from './localClone';
import { ErrorLog } from './errorLog';
import { NotificationService } from './notifications';
import { PeerRegistry } from './peers/registry';
import { DriveIngest } from './sneakernet/ingest';
import { DriveTrips } from './sneakernet/trips';
import { Imports } from './stores/imports';
import { Placement } from './stores/placement';
import { StoreService } from './stores/stores';
import { IncomingTransfers } from './transfers/incoming';
import { LocalCopies } from './transfers/localCopies';
import { TransferRecords } from './transfers/records';
import { Stats } from './stats';
import { OutgoingTransfers } from './transfers/outgoing';
import { UploadReceiver } from './uploads/receiver';
import { UploadService } from './uploads/uploads';
import { UserService } from './users/users';

export interface Domain {
  config: Config;
  log: Logger;
  db: Db;
  checksums: ChecksumPool;
  users: UserService;
  stores: StoreService;
  placement: Placement;
  imports: Imports;
  transfers: { incoming: IncomingTransfers; outgoing: OutgoingTransfers; localCopies: LocalCopies; records: TransferRecords };
  ingest: Ingest;
  uploads: UploadService;
  uploadReceiver: UploadReceiver;
  search: SearchService;
  findings: Findings;
  integrity: Integrity;
  audit: StoreAudit;
  repairs: Repairs;
  remoteCopies: RemoteCopies;
  deletions: Deletions;
  notifications: NotificationService;
  stats: Stats;
  errorLog: ErrorLog;
  peers: PeerRegistry;
  globus: GlobusService;
  clonePlanner: ClonePlanner;
  cloneExplainer: CloneExplainer;
  cloneSender: CloneSender;
  cloneReceiver: CloneReceiver;
  cloneCallbacks: CloneCallbacks;
  corruptResend: CorruptResend;
  localClone: LocalCloneService;
  driveTrips: DriveTrips;
  driveIngest: DriveIngest;
  close(): Promise<void>;
}

export async function createDomain(config: Config, component: string, opts: { requireMigrated?: boolean } = {}): Promise<Domain> {
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
  const checksums = new ChecksumPool(config.checksums.threads);
  const errorLog = new ErrorLog(db);
  const notifications = new NotificationService(config, log, errorLog);
  const stores = new StoreService(db, log, notifications);
  const placement = new Placement(checksums, log);
  const incoming = new IncomingTransfers(db, stores, log);
  const outgoing = new OutgoingTransfers(db, config.name, log);
  const localCopies = new LocalCopies(db);
  const findings = new Findings(db, notifications, log);
  const ingest = new Ingest(db, incoming, placement, checksums, findings, stores, log);
  const uploads = new UploadService(db, config, stores, incoming, ingest, log);
  const peers = new PeerRegistry(db, config, outgoing, log);
  const cloneReceiver = new CloneReceiver(db, config, stores, incoming, ingest, peers, log);
  const integrity = new Integrity(db, config, stores, checksums, findings, log);
  const globus = new GlobusService(config.globus, log);
  const remoteCopies = new RemoteCopies(db, config, peers);
  const records = new TransferRecords(db);
  const clonePlanner = new ClonePlanner(db, config, peers, outgoing, log);
  const cloneSender = new CloneSender(db, config, stores, peers, outgoing, globus, integrity, notifications, log);
  return {
    config,
    log,
    db,
    checksums,
    users: new UserService(db, config.logins, log),
    stores,
    placement,
    imports: new Imports(db, stores, checksums, findings, log),
    transfers: { incoming, outgoing, localCopies, records },
    stats: new Stats(db, stores, records),
    ingest,
    uploads,
    uploadReceiver: new UploadReceiver(uploads, incoming),
    search: new SearchService(db, stores, config.database.provider),
    findings,
    integrity,
    audit: new StoreAudit(db, stores, integrity, findings, log),
    remoteCopies,
    deletions: new Deletions(db, config, stores, remoteCopies, findings, log),
    repairs: new Repairs(db, config, stores, integrity, findings, peers, placement, checksums, notifications, log),
    notifications,
    errorLog,
    peers,
    globus,
    clonePlanner,
    cloneExplainer: new CloneExplainer(db, config, clonePlanner),
    cloneSender,
    cloneReceiver,
    cloneCallbacks: new CloneCallbacks(db, peers, outgoing, cloneReceiver),
    corruptResend: new CorruptResend(db, config, peers, integrity, outgoing, cloneSender, log),
    localClone: new LocalCloneService(db, config, stores, placement, localCopies, checksums, notifications, log),
    driveTrips: new DriveTrips(db, config, stores, peers, outgoing, log),
    driveIngest: new DriveIngest(db, config, cloneReceiver, incoming, peers),
    async close() {
      await checksums.close();
      await db.$disconnect();
    },
  };
}

export type { Logger };
