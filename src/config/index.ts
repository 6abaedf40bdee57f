/**
 * Server configuration: one file (YAML or JSON) plus environment overrides, validated once at
 * start-up and then passed down. No other module reads process.env for settings.
 *
 * Environment overrides: LIBRARIAN_<FIELD> for top-level fields and LIBRARIAN_<SECTION>__<FIELD>
 * for nested ones, in upper snake case (LIBRARIAN_API__PORT=9000,
 * LIBRARIAN_DATABASE__URL=postgresql://...). Values are parsed as JSON when they parse, so
 * LIBRARIAN_STORES='[...]' replaces the whole store list.
 *
 * Secrets can come from files: every `xxxFile` field (database.urlFile, encryptionKeyFile,
 * notifications.slackWebhookUrlFile, globus.clientSecretFile) is read at start-up and replaces `xxx`.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { durationSchema } from '../shared/durations';
import { nameSchema, storeConfigSchema } from './stores';

const secret = () => z.string().min(1).optional();

const cloneSettings = {
  /** Cadence of the per-peer sending Schedule; 0 disables automatic sending. */
  every: durationSchema.optional(),
  /** Files per batch (one Globus task each). */
  batchSize: z.number().int().min(1).max(10_000).optional(),
  /** Batches in flight to one peer. */
  maxBatchesPerPeer: z.number().int().min(1).optional(),
  /** Only files created within this many days (absent: all). */
  maxAgeDays: z.number().positive().optional(),
  /** Send from this store when a file has instances on several. */
  preferredStore: z.string().optional(),
};

const retrySchema = z
  .object({
    initialInterval: durationSchema.prefault(10),
    maximumInterval: durationSchema.prefault(1800),
  })
  .prefault({});

export const configSchema = z.object({
  /** Network identity: peers know this Librarian, and its account on them, by this name. */
  name: nameSchema.default('librarian'),
  displayedSiteName: z.string().default('Untitled Librarian'),
  displayedSiteDescription: z.string().default('No description set.'),
  /** Where the embedded defaults live: SQLite catalog, Temporal dev database, default stores. */
  dataDir: z.string().default('./librarian-data'),
  database: z
    .object({
      provider: z.enum(['sqlite', 'postgresql']).default('sqlite'),
      /** SQLite: file:<path>; PostgreSQL: postgresql://user:pass@host:port/db. */
      url: secret(),
      urlFile: z.string().optional(),
    })
    .prefault({}),
  api: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /** URL clients and peers use to reach this server (default http://host:port). */
      publicUrl: z.string().url().optional(),
      maxUploadSizeBytes: z.number().int().positive().default(50_000_000_000),
      maxSearchResults: z.number().int().positive().default(64),
      /**
       * How long upload/stage waits for a worker to stage the upload before answering 503 (the
       * stage may still be done then; the same request again answers with its transfer).
       */
      stageTimeout: durationSchema.prefault(120),
      /**
       * Behind a reverse proxy: which proxies' X-Forwarded-For to believe for the client's address
       * (Express's "trust proxy": a hop count, addresses or subnets, or "loopback"). Login
       * throttling is per address; without this, every client has the proxy's address.
       */
      trustProxy: z.union([z.boolean(), z.number().int().nonnegative(), z.string().min(1), z.array(z.string().min(1))]).default(false),
    })
    .prefault({}),
  /**
   * Login throttling (per API process, in memory): wrong passwords put the address, and the
   * account for the addresses that failed on it, in backoff (429 with Retry-After) before any
   * password is hashed. See domain/users/throttle.ts.
   */
  logins: z
    .object({
      /** Wrong passwords for one account before the addresses that gave them wait. */
      freeFailuresPerAccount: z.number().int().min(1).default(5),
      /** Wrong logins from one address (any accounts) before all its logins wait. */
      freeFailuresPerAddress: z.number().int().min(1).default(20),
      /** The first wait; it doubles with every further failure... */
      firstBackoff: durationSchema.prefault(1),
      /** ...up to this. */
      maxBackoff: durationSchema.prefault(900),
      /** Each counter forgets one failure this often (0: only a restart forgets). */
      forgiveEvery: durationSchema.prefault(600),
      /** Password hashes (argon2, tens of MB and ms each) computed at once. */
      concurrentChecks: z.number().int().min(1).default(4),
      /** Logins waiting for a hash; more are answered 503. */
      waitingChecks: z.number().int().min(0).default(256),
    })
    .prefault({}),
  temporal: z
    .object({
      address: z.string().default('127.0.0.1:7233'),
      namespace: z.string().default('default'),
      /** Default: librarian-<name>, so several Librarians can share one Temporal namespace. */
      taskQueue: z.string().optional(),
      /** Shown to operators; the dev server serves its Web UI here. */
      uiUrl: z.string().default('http://127.0.0.1:8233'),
      /**
       * How long Temporal keeps the history of a finished workflow (the Web UI and `workflows show`
       * show it until then). Used when `librarian setup` creates the namespace; an existing
       * namespace keeps its own (change it with `temporal operator namespace update`).
       */
      retention: durationSchema.prefault('30d'),
      /**
       * TLS to the Temporal frontend, for a cluster that requires it: the CA that signed its
       * certificate (default: the system's), and this Librarian's client certificate and key when
       * the cluster requires mutual TLS. Every API, worker and CLI process of the site uses them.
       */
      tls: z
        .object({
          caFile: z.string().optional(),
          certFile: z.string().optional(),
          keyFile: z.string().optional(),
          /** The name the frontend's certificate is checked against, when not the host of `address`. */
          serverName: z.string().optional(),
        })
        .strict()
        .refine((t) => Boolean(t.certFile) === Boolean(t.keyFile), 'certFile and keyFile go together (the client certificate for mutual TLS and its key); give both or neither')
        .optional(),
    })
    .prefault({}),
  stores: z.array(storeConfigSchema).default([]),
  checksums: z
    .object({
      /** Parallel file hashes inside one book. */
      threads: z.number().int().positive().default(Math.max(1, os.availableParallelism())),
      /** How long a verified checksum is trusted before validation recomputes it. */
      cacheLifetime: durationSchema.prefault(86_400),
    })
    .prefault({}),
  /** Key that encrypts our credentials on peers (any string; a long random one). */
  encryptionKey: secret(),
  encryptionKeyFile: z.string().optional(),
  log: z
    .object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
      /** Also write JSON logs to this file. */
      file: z.string().optional(),
    })
    .prefault({}),
  notifications: z
    .object({
      slackWebhookUrl: secret(),
      slackWebhookUrlFile: z.string().optional(),
      /** Any HTTP endpoint that takes a JSON POST per alert (Alertmanager-style receivers, chat bridges). */
      webhookUrl: secret(),
      webhookUrlFile: z.string().optional(),
      /** The same alert (same subject and cause) is sent at most once per this; it is always logged and recorded. */
      repeatAfter: durationSchema.prefault(3600),
      /** Temporal unreachable this long (seen by the API) raises an alert. */
      temporalDownAfter: durationSchema.prefault(300),
    })
    .prefault({}),
  metrics: z
    .object({
      /** When set, GET /metrics needs "Authorization: Bearer <token>". */
      token: secret(),
      tokenFile: z.string().optional(),
      /** Catalog-wide figures (files per store, files waiting per peer) are recomputed at most this often. */
      cacheFor: durationSchema.prefault(30),
    })
    .prefault({}),
  clone: z
    .object({
      every: durationSchema.prefault(600),
      batchSize: z.number().int().min(1).max(10_000).default(256),
      maxBatchesPerPeer: z.number().int().min(1).default(3),
      /** Batches in flight to all peers together (Globus allows 100 pending tasks per account). */
      maxBatchesTotal: z.number().int().min(1).default(50),
      maxAgeDays: z.number().positive().optional(),
      preferredStore: z.string().optional(),
      /** Transfer methods to use, in order of preference, among those a destination offers. */
      methods: z.array(z.enum(['local', 'globus'])).default(['local', 'globus']),
      /** Calls to peers and Globus are retried with capped exponential backoff... */
      retry: retrySchema,
      /** ...for this long; then the batch gives up (logged and alerted) and its files are offered again later. */
      giveUpAfter: durationSchema.prefault(7 * 86_400),
      /** How long a batch waits for clone/complete callbacks before asking the peer (checkin/status). */
      callbackWait: durationSchema.prefault(600),
      /** Receiving: how long a staged clone may wait for its data before the source is asked whether it still comes. */
      receiveTimeout: durationSchema.prefault(86_400),
      /** Receiving: deletion policy of instances created by clones. */
      deletionPolicy: z.enum(['DISALLOWED', 'ALLOWED']).default('DISALLOWED'),
      /** Per-peer overrides of every, batchSize, maxBatchesPerPeer, maxAgeDays, preferredStore. */
      peers: z.record(z.string(), z.object(cloneSettings)).default({}),
    })
    .prefault({}),
  /** Scheduled copies from one store to others (backup disks, SneakerNet drives). */
  localClones: z
    .array(
      z.object({
        name: nameSchema,
        from: z.string(),
        /** Destination stores in order: when one is full the next takes over. */
        to: z.array(z.string()).min(1),
        every: durationSchema.prefault(3600),
        order: z.enum(['newest', 'oldest']).default('newest'),
        maxAgeDays: z.number().positive().optional(),
        filesPerRun: z.number().int().positive().default(1024),
        /** Disable a destination store when it is full, so the next one is used (and a drive trip learns it is full). */
        disableStoreOnFull: z.boolean().default(true),
        /** Skip files already copied to this peer (a SneakerNet drive carries only what the destination lacks). */
        unlessAt: z.string().optional(),
      }),
    )
    .default([]),
  /**
   * Freeing a store once other sites hold verified copies: each policy deletes local instances on
   * `store` older than `olderThan` whose file at least `minCopies` other Librarians verified
   * (within `verifiedWithin`) and report matching, checked at the moment of deletion.
   */
  rollingDeletion: z
    .array(
      z.object({
        name: nameSchema,
        store: z.string(),
        olderThan: durationSchema,
        /** Distinct other Librarians with a fresh, matching copy; at least 1 (never the last copy). */
        minCopies: z.number().int().min(1),
        /** A peer's verification older than this does not count (it is asked to hash again). */
        verifiedWithin: durationSchema.prefault(2 * 86_400),
        /** Cadence of its Schedule; 0: run only on demand ("librarian deletion run NAME"). */
        every: durationSchema.prefault(3600),
      }),
    )
    .default([]),
  globus: z
    .object({
      enabled: z.boolean().default(false),
      /** Confidential client (service account) credentials. */
      clientId: z.string().default(''),
      clientSecret: secret(),
      clientSecretFile: z.string().optional(),
      /** This site's collection, and the local path its "/" maps to. */
      localEndpointId: z.string().default(''),
      localRoot: z.string().default('/'),
      /** Override the service URLs (tests point them at a local fake). */
      transferUrl: z.string().url().optional(),
      authUrl: z.string().url().optional(),
      syncLevel: z.enum(['exists', 'size', 'mtime', 'checksum']).default('checksum'),
      verifyChecksum: z.boolean().default(true),
      encryptData: z.boolean().default(true),
      /** How often a running task is polled. */
      pollInterval: durationSchema.prefault(60),
      /** Per-request timeout of calls to Globus. */
      requestTimeout: durationSchema.prefault(60),
      /** Fault codes that make a task hopeless; one seen on this many consecutive polls cancels it. */
      fatalFaults: z
        .array(z.string())
        .default(['AMBIGUOUS_PATH', 'IS_A_DIRECTORY', 'FILE_NOT_FOUND', 'FILE_SIZE_CHANGED', 'INVALID_PATH_NAME', 'INVALID_SERVICE_CREDENTIAL', 'INVALID_SYMLINK', 'NO_CREDENTIALS', 'NO_SPACE_LEFT', 'PERMISSION_DENIED', 'QUOTA_EXCEEDED']),
      fatalFaultPolls: z.number().int().min(1).default(3),
    })
    .prefault({}),
  uploads: z
    .object({
      /** A staged upload not committed (and not receiving data) for this long is failed and cleaned up. */
      stagingTimeout: durationSchema.prefault(86_400),
    })
    .prefault({}),
  worker: z
    .object({
      /**
       * Port of the worker's own health endpoints (GET /healthz, /readyz) for orchestrators;
       * unset: none (a process that also runs the API answers them on the API port).
       */
      healthPort: z.number().int().min(0).max(65535).optional(),
      /** Address they listen on (0.0.0.0 in a container, so the orchestrator reaches them). */
      healthHost: z.string().default('127.0.0.1'),
    })
    .prefault({}),
  workflows: z
    .object({
      /** Long activities (hashing, copying) heartbeat; a worker silent for this long is presumed dead and the activity retried. */
      heartbeatTimeout: durationSchema.prefault(30),
    })
    .prefault({}),
  healthCheck: z
    .object({
      /** Cadence of the store health-check Schedule; 0 disables it. */
      every: durationSchema.prefault(600),
    })
    .prefault({}),
  audit: z
    .object({
      /** Cadence of each store's integrity audit (a Schedule per store); 0 disables the Schedules. */
      every: durationSchema.prefault(86_400),
      /** Re-hash an instance once its last verification is older than this. */
      reverifyAfter: durationSchema.prefault(30 * 86_400),
      /** At most this many bytes hashed per second by one store's audit, so audits never starve uploads. */
      bytesPerSecond: z.number().positive().default(100 * 1024 * 1024),
    })
    .prefault({}),
  repair: z
    .object({
      /** A repair that found no peer able to send a good copy now (down, paused) asks again this often. */
      retryEvery: durationSchema.prefault(3600),
      /** ...until this long has passed; then it stops and alerts ("librarian repair run NAME" starts it again). */
      giveUpAfter: durationSchema.prefault(7 * 86_400),
    })
    .prefault({}),
});

export type StoreConfig = z.output<typeof storeConfigSchema>;
export type RawConfig = z.output<typeof configSchema>;

export interface Config extends RawConfig {
  database: RawConfig['database'] & { url: string };
  temporal: RawConfig['temporal'] & { taskQueue: string };
  api: RawConfig['api'] & { publicUrl: string };
  /** The file it was read from, if any. */
  source?: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const ENV_PREFIX = 'LIBRARIAN_';

function camel(upperSnake: string): string {
  return upperSnake.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseEnvValue(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** Applies LIBRARIAN_* overrides; returns where each overridden path came from. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Map<string, string> {
  const origins = new Map<string, string>();
  const topLevel = new Set(Object.keys(configSchema.shape));
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || value === undefined) continue;
    const segments = key.slice(ENV_PREFIX.length).split('__').map(camel);
    if (!topLevel.has(segments[0]!)) continue;
    let node = raw;
    for (const seg of segments.slice(0, -1)) {
      if (typeof node[seg] !== 'object' || node[seg] === null) node[seg] = {};
      node = node[seg] as Record<string, unknown>;
    }
    node[segments[segments.length - 1]!] = parseEnvValue(value);
    origins.set(segments.join('.'), key);
  }
  return origins;
}

function readSecretFile(file: string, field: string, baseDir: string): string {
  const p = path.resolve(baseDir, file);
  try {
    return readFileSync(p, 'utf8').trim();
  } catch (e) {
    throw new ConfigError(`Invalid configuration: ${field} points to ${p}, which cannot be read (${(e as Error).message}).`);
  }
}

export function describeIssues(error: z.ZodError, origins: Map<string, string>, source: string): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.join('.') || '(root)';
    const fromEnv = origins.get(field) ?? [...origins.entries()].find(([p]) => field.startsWith(p + '.'))?.[1];
    return `  - ${field}${fromEnv ? ` (from ${fromEnv})` : ''}: ${issue.message}`;
  });
  return `Invalid configuration (${source}):\n${lines.join('\n')}\nFix the field(s) above; see "Configuration" in README.md for every field and its default.`;
}

/**
 * Loads and validates the configuration. `file` may be undefined (defaults + environment only).
 */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): Config {
  let raw: Record<string, unknown> = {};
  let baseDir = process.cwd();
  if (file) {
    const p = path.resolve(file);
    if (!existsSync(p)) {
      throw new ConfigError(`Configuration file ${p} does not exist. Pass --config with the path of your librarian.yaml, or set LIBRARIAN_CONFIG.`);
    }
    const text = readFileSync(p, 'utf8');
    try {
      raw = (p.endsWith('.json') ? JSON.parse(text) : YAML.parse(text)) ?? {};
    } catch (e) {
      throw new ConfigError(`Configuration file ${p} is not valid ${p.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError(`Configuration file ${p} must hold an object of settings at its top level.`);
    }
    baseDir = path.dirname(p);
  }
  const origins = applyEnv(raw, env);
  const parsed = configSchema.safeParse(raw);
  const source = [file ? path.resolve(file) : 'no file', origins.size ? 'environment' : ''].filter(Boolean).join(' + ');
  if (!parsed.success) throw new ConfigError(describeIssues(parsed.error, origins, source));
  const c = parsed.data;

  const resolve = (p: string) => path.resolve(baseDir, p);
  const dataDir = resolve(c.dataDir);
  const names = new Set<string>();
  for (const s of c.stores) {
    if (names.has(s.name)) throw new ConfigError(`Invalid configuration (${source}):\n  - stores: the store name "${s.name}" appears twice; store names must be unique.`);
    names.add(s.name);
  }

  for (const lc of c.localClones) {
    for (const s of [lc.from, ...lc.to]) {
      if (!names.has(s)) throw new ConfigError(`Invalid configuration (${source}):\n  - localClones (${lc.name}): no store named "${s}"; define it under stores.`);
    }
  }

  const policies = new Set<string>();
  for (const rd of c.rollingDeletion) {
    if (policies.has(rd.name)) throw new ConfigError(`Invalid configuration (${source}):\n  - rollingDeletion: the name "${rd.name}" appears twice; policy names must be unique.`);
    policies.add(rd.name);
    if (!names.has(rd.store)) throw new ConfigError(`Invalid configuration (${source}):\n  - rollingDeletion (${rd.name}): no store named "${rd.store}"; define it under stores.`);
  }

  if (c.globus.enabled) {
    const missing = (['clientId', 'localEndpointId'] as const).filter((k) => !c.globus[k]);
    if (!c.globus.clientSecret && !c.globus.clientSecretFile) missing.push('clientSecret' as never);
    if (missing.length) {
      throw new ConfigError(`Invalid configuration (${source}):\n${missing.map((k) => `  - globus.${k}: required when globus.enabled is true`).join('\n')}`);
    }
  }

  let dbUrl = c.database.urlFile ? readSecretFile(c.database.urlFile, 'database.urlFile', baseDir) : c.database.url;
  if (!dbUrl) {
    if (c.database.provider === 'postgresql') {
      throw new ConfigError(`Invalid configuration (${source}):\n  - database.url: required when database.provider is "postgresql" (or give database.urlFile).`);
    }
    dbUrl = `file:${path.join(dataDir, 'catalog.db')}`;
  } else if (c.database.provider === 'sqlite' && dbUrl.startsWith('file:') && !path.isAbsolute(dbUrl.slice(5))) {
    dbUrl = `file:${resolve(dbUrl.slice(5))}`;
  }

  return {
    ...c,
    source: file ? path.resolve(file) : undefined,
    dataDir,
    database: { ...c.database, url: dbUrl },
    api: { ...c.api, publicUrl: c.api.publicUrl ?? `http://${c.api.host === '0.0.0.0' ? os.hostname() : c.api.host}:${c.api.port}` },
    temporal: {
      ...c.temporal,
      taskQueue: c.temporal.taskQueue ?? `librarian-${c.name}`,
      tls: c.temporal.tls && {
        ...c.temporal.tls,
        caFile: c.temporal.tls.caFile && resolve(c.temporal.tls.caFile),
        certFile: c.temporal.tls.certFile && resolve(c.temporal.tls.certFile),
        keyFile: c.temporal.tls.keyFile && resolve(c.temporal.tls.keyFile),
      },
    },
    encryptionKey: c.encryptionKeyFile ? readSecretFile(c.encryptionKeyFile, 'encryptionKeyFile', baseDir) : c.encryptionKey,
    globus: {
      ...c.globus,
      clientSecret: c.globus.clientSecretFile ? readSecretFile(c.globus.clientSecretFile, 'globus.clientSecretFile', baseDir) : c.globus.clientSecret,
      localRoot: resolve(c.globus.localRoot),
    },
    notifications: {
      ...c.notifications,
      slackWebhookUrl: c.notifications.slackWebhookUrlFile
        ? readSecretFile(c.notifications.slackWebhookUrlFile, 'notifications.slackWebhookUrlFile', baseDir)
        : c.notifications.slackWebhookUrl,
      webhookUrl: c.notifications.webhookUrlFile ? readSecretFile(c.notifications.webhookUrlFile, 'notifications.webhookUrlFile', baseDir) : c.notifications.webhookUrl,
    },
    metrics: { ...c.metrics, token: c.metrics.tokenFile ? readSecretFile(c.metrics.tokenFile, 'metrics.tokenFile', baseDir) : c.metrics.token },
    log: { ...c.log, file: c.log.file ? resolve(c.log.file) : undefined },
    stores: c.stores.map((s) => ({
      ...s,
      stagingPath: resolve(s.stagingPath),
      storePath: resolve(s.storePath),
      transferMethods: { ...s.transferMethods, ...(s.transferMethods.globus ? { globus: { ...s.transferMethods.globus, root: resolve(s.transferMethods.globus.root) } } : {}) },
    })),
  };
}

/** The clone settings for one peer: the global ones with that peer's overrides. */
export function cloneSettingsFor(config: Pick<Config, 'clone'>, peer: string) {
  const o = config.clone.peers[peer] ?? {};
  return {
    every: o.every ?? config.clone.every,
    batchSize: o.batchSize ?? config.clone.batchSize,
    maxBatchesPerPeer: o.maxBatchesPerPeer ?? config.clone.maxBatchesPerPeer,
    maxAgeDays: o.maxAgeDays ?? config.clone.maxAgeDays,
    preferredStore: o.preferredStore ?? config.clone.preferredStore,
  };
}
