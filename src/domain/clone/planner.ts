/**
 * Choosing what to send to a peer: files it lacks, grouped into batches within the in-flight caps
 * (Globus allows 100 pending and 3 active tasks per account), and recorded as OutgoingTransfers
 * so the next selection skips them.
 */
import { cloneSettingsFor, type Config } from '../../config';
import type { Logger } from '../../logger';
import { workflowIds } from '../../shared/workflowIds';
import { Prisma, type Db, type Query } from '../catalog/db';
import { prefixRange } from '../catalog/search';
import type { PeerRegistry } from '../peers/registry';
import type { OutgoingTransfers } from '../transfers/outgoing';

/** Rows recorded by one planning run above which PostgreSQL's statistics of transfers are refreshed. */
const ANALYZE_AFTER = 5000;
/** Key of PostgreSQL's advisory lock around clone planning (any constant unique in this catalog). */
const PLANNING_LOCK = 7_254_001;

export interface PlannedBatch {
  batchId: string;
  files: number;
  bytes: number;
}

/** What a batch workflow needs from the configuration. */
export interface CloneBatchSettings {
  methods: ('local' | 'globus')[];
  globusEnabled: boolean;
  retry: { initialInterval: number; maximumInterval: number };
  giveUpAfterMs: number;
  callbackWaitMs: number;
  pollIntervalMs: number;
  fatalFaultPolls: number;
  heartbeatTimeoutMs: number;
}

export function cloneBatchSettings(config: Pick<Config, 'clone' | 'globus' | 'workflows'>): CloneBatchSettings {
  return {
    methods: config.clone.methods,
    globusEnabled: config.globus.enabled,
    retry: config.clone.retry,
    giveUpAfterMs: config.clone.giveUpAfter,
    callbackWaitMs: config.clone.callbackWait,
    pollIntervalMs: config.globus.pollInterval,
    fatalFaultPolls: config.globus.fatalFaultPolls,
    heartbeatTimeoutMs: config.workflows.heartbeatTimeout,
  };
}

/** What planning and counting need to know of a peer. */
interface Target {
  peer: string;
  peerId: number;
  maxAgeDays: number | undefined;
  batchSize: number;
  preferredStore: number | undefined;
}

export class ClonePlanner {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly peers: PeerRegistry,
    private readonly outgoing: OutgoingTransfers,
    private readonly log: Logger,
  ) {}

  /** Whether sending to `peer` is enabled, and how its batches run. */
  async schedulingState(peer: string): Promise<{ enabled: boolean; batch: CloneBatchSettings }> {
    return { enabled: await this.peers.transfersEnabled(peer), batch: cloneBatchSettings(this.config) };
  }

  /**
   * The names of the files with an available instance that the peer lacks and that are not on
   * their way to it: the difference of three name lists, each read in name order from an index
   * (instances(available, file_name), the peer's remote instances, the transfers in flight), so
   * that the database merges them instead of probing three indexes for every file (at 1M files:
   * docs/benchmarks.md, "Catalog at 1M files"). SQLite merges an EXCEPT with ORDER BY (also
   * inside IN, not in a join); PostgreSQL sorts and hashes an EXCEPT but merges anti-joins of
   * ordered input. Raw SQL: Prisma's query for this uses NOT IN over all outgoing transfers,
   * which PostgreSQL runs in quadratic time (220 s for 100,000 files).
   */
  private candidateNames(t: Target): Prisma.Sql {
    if (this.config.database.provider === 'sqlite') {
      return Prisma.sql`SELECT i."file_name" FROM "instances" i WHERE i."available" = true
        EXCEPT SELECT r."file_name" FROM "remote_instances" r WHERE r."librarian_id" = ${t.peerId}
        EXCEPT SELECT o."file_name" FROM "outgoing_transfers" o WHERE o."destination" = ${t.peer} AND o."status" IN ('INITIATED', 'ONGOING', 'STAGED')
        ORDER BY 1`;
    }
    return Prisma.sql`SELECT a."file_name" FROM (SELECT DISTINCT i."file_name" FROM "instances" i WHERE i."available" = true) a
      WHERE NOT EXISTS (SELECT 1 FROM "remote_instances" r WHERE r."file_name" = a."file_name" AND r."librarian_id" = ${t.peerId})
        AND NOT EXISTS (SELECT 1 FROM "outgoing_transfers" o WHERE o."file_name" = a."file_name" AND o."destination" = ${t.peer}
          AND o."status" IN ('INITIATED', 'ONGOING', 'STAGED'))`;
  }

  /**
   * The candidates' files (of the recent ones only, when the peer has maxAgeDays), for a FROM
   * clause. PostgreSQL joined `f."name" IN (...)` by hashing the candidates and reading all of
   * `files` (0.9 s of the recording at 1M files, 110,000 candidates); a LATERAL join looks each
   * candidate up by the primary key instead (0.15-0.24 s). SQLite merges inside IN (see above).
   */
  private candidateFiles(t: Target): Prisma.Sql {
    const since = this.since(t);
    const recent = since ? Prisma.sql`AND f."create_time" >= ${since}` : Prisma.empty;
    if (this.config.database.provider === 'sqlite') return Prisma.sql`"files" f WHERE f."name" IN (${this.candidateNames(t)}) ${recent}`;
    return Prisma.sql`(${this.candidateNames(t)}) cn CROSS JOIN LATERAL (SELECT * FROM "files" f WHERE f."name" = cn."file_name" ${recent}) f`;
  }

  private since(t: Target): Date | undefined {
    return t.maxAgeDays ? new Date(Date.now() - t.maxAgeDays * 86_400_000) : undefined;
  }

  /** What planning and counting need to know of a peer, read before planning takes its lock. */
  private async target(peer: string): Promise<Target> {
    const p = await this.peers.row(peer);
    const s = cloneSettingsFor(this.config, peer);
    const preferredStore = s.preferredStore ? (await this.db.store.findUnique({ where: { name: s.preferredStore } }))?.id : undefined;
    return { peer, peerId: p.id, maxAgeDays: s.maxAgeDays, batchSize: s.batchSize, preferredStore };
  }

  /**
   * The statement that records the oldest `limit` candidates as INITIATED transfers to the peer,
   * in batches of `batchSize` named `batchPrefix` + 0, 1, ..., each with the instance to send
   * (the preferred store's when it has one). One statement: the candidates are found in one pass
   * (asked for in chunks, each query walked again past the files the chunks before had taken)
   * and the rows are written without a round trip each.
   */
  private recordSql(t: Target, batchPrefix: string, limit: number): Prisma.Sql {
    return Prisma.sql`
      INSERT INTO "outgoing_transfers" ("status", "destination", "transfer_size", "transfer_checksum", "file_name", "instance_id", "batch_id", "start_time")
      SELECT 'INITIATED', ${t.peer}, c."size", c."checksum", c."name", c."instance_id",
        CAST(${batchPrefix} AS TEXT) || CAST((c."k" - 1) / CAST(${t.batchSize} AS INTEGER) AS TEXT), ${new Date()}
      FROM (
        SELECT o.*, ROW_NUMBER() OVER (ORDER BY o."create_time", o."name") AS "k"
        FROM (
          SELECT f."name", f."size", f."checksum", f."create_time",
            (SELECT i."id" FROM "instances" i WHERE i."file_name" = f."name" AND i."available" = true
              ORDER BY CASE WHEN i."store_id" = ${t.preferredStore ?? -1} THEN 0 ELSE 1 END, i."id" LIMIT 1) AS "instance_id"
          FROM ${this.candidateFiles(t)}
          ORDER BY f."create_time", f."name"
          LIMIT ${limit}
        ) o
      ) c
      ORDER BY c."k"`;
  }

  /** The count of candidateNames (of the recent files only, when the peer has maxAgeDays). */
  private countSql(t: Target): Prisma.Sql {
    if (this.since(t)) return Prisma.sql`SELECT COUNT(*) AS "n" FROM ${this.candidateFiles(t)}`;
    return Prisma.sql`SELECT COUNT(*) AS "n" FROM (${this.candidateNames(t)}) c`;
  }

  /** The statements of countCandidates and of planBatches (a run of `limit` files), for bench/catalog.ts to show their plans. */
  async statements(peer: string, runKey: string, limit: number): Promise<{ count: Prisma.Sql; record: Prisma.Sql }> {
    const t = await this.target(peer);
    return { count: this.countSql(t), record: this.recordSql(t, workflowIds(this.config.name).cloneBatchPrefix(peer, runKey), limit) };
  }

  /** Files that would be sent to `peer` now. */
  async countCandidates(peer: string): Promise<number> {
    const [row] = await this.db.$queryRaw<{ n: bigint | number }[]>(this.countSql(await this.target(peer)));
    return Number(row?.n ?? 0);
  }

  /** Batches in flight to `peer` and in all, room left, and why nothing more may be sent now (or null). */
  async capacity(peer: string, q: Query = this.db) {
    const perPeer = cloneSettingsFor(this.config, peer).maxBatchesPerPeer;
    const total = this.config.clone.maxBatchesTotal;
    const inPeer = (await this.outgoing.inFlightBatches(peer, q)).length;
    const inTotal = (await this.outgoing.inFlightBatches(undefined, q)).length;
    const free = Math.min(perPeer - inPeer, total - inTotal);
    return { inPeer, perPeer, free, reason: free > 0 ? null : `in-flight cap (${inPeer}/${perPeer} to ${peer}, ${inTotal}/${total} in all)` };
  }

  /**
   * Chooses batches of files the peer lacks, as many as the in-flight caps leave room for, and
   * records their OutgoingTransfers (INITIATED). Planning runs under one lock per catalog: sending
   * steps of several peers that run at once would otherwise each see the same free room and
   * together exceed the overall cap. Repeating a call with the same runKey returns the batches it
   * recorded.
   */
  async planBatches(peer: string, runKey: string): Promise<{ batches: PlannedBatch[]; waiting: string | null }> {
    const prefix = workflowIds(this.config.name).cloneBatchPrefix(peer, runKey);
    // A range, not LIKE: "_" and "%" are common in peer names and would match other peers' batches.
    const recorded = async (q: Query): Promise<PlannedBatch[]> =>
      (await q.outgoingTransfer.groupBy({ by: ['batchId'], where: { batchId: prefixRange(prefix) }, _count: { _all: true }, _sum: { transferSize: true }, _min: { id: true } }))
        .sort((x, y) => x._min.id! - y._min.id!)
        .map((b) => ({ batchId: b.batchId!, files: b._count._all, bytes: Number(b._sum.transferSize ?? 0) }));
    const target = await this.target(peer);
    const planned = await this.db.$transaction(
      async (tx: Prisma.TransactionClient) => {
        await this.lockPlanning(tx);
        const existing = await recorded(tx);
        if (existing.length) return { batches: existing, waiting: null };
        const cap = await this.capacity(peer, tx);
        if (cap.reason) return { batches: [], waiting: cap.reason };
        const written = await tx.$executeRaw(this.recordSql(target, prefix, cap.free * target.batchSize));
        // Thousands of new rows leave PostgreSQL's statistics stale until autovacuum comes by; with
        // them it counted the candidates next by nested sequential scans (minutes for 100,000).
        if (written >= ANALYZE_AFTER && this.config.database.provider === 'postgresql') await tx.$executeRawUnsafe('ANALYZE "outgoing_transfers"');
        return { batches: await recorded(tx), waiting: null };
      },
      // Planning 100,000 files takes seconds (docs/benchmarks.md); a scheduled run plans far fewer.
      { maxWait: 60_000, timeout: 10 * 60_000 },
    );
    if (planned.batches.length) this.log.info({ peer, files: planned.batches.reduce((n, b) => n + b.files, 0), batches: planned.batches.length }, 'clone batches planned');
    return planned;
  }

  /**
   * Serialises planning within this catalog until the transaction ends: an advisory lock on
   * PostgreSQL (several workers may plan), on SQLite the write lock, taken by a write that
   * changes nothing before anything is read.
   */
  private async lockPlanning(tx: Prisma.TransactionClient): Promise<void> {
    if (this.config.database.provider === 'postgresql') {
      await tx.$executeRawUnsafe(`SELECT pg_advisory_xact_lock(${PLANNING_LOCK})`);
      // Compiling this transaction's one bulk statement (JIT, which its estimated cost triggers)
      // took longer than it saved: 0.4 s of 7 (docs/benchmarks.md, "Catalog at 1M files").
      await tx.$executeRawUnsafe('SET LOCAL jit = off');
    } else await tx.$executeRawUnsafe('DELETE FROM "outgoing_transfers" WHERE 0');
  }
}
